/**
 * `npm start`'s runtime on the synthesized stack: the real CDK synth (a copy
 * of the assembly cache's, which the runtime finds current for the sources
 * and does not synthesize again), the bundled functions from the cloud assembly,
 * embedded PostgreSQL and kinesis-local on their own ports, and a loopback
 * stand-in for Coinbase. One pipeline for three sets of checks that only
 * read from it, so it starts (and the batched consumer waits its window)
 * once:
 *
 * - the pipeline: every function hosted, both consumers' rows for a tick;
 * - the metric contract: every metric the CloudWatch dashboard and alarms of
 *   that very template watch (namespace, name, every dimension, statistic)
 *   is emitted by the functions with exactly those dimensions, and every
 *   field of every Logs Insights query is in the functions' log lines; then
 *   the same check on a dashboard whose widget has one dimension changed,
 *   which must fail;
 * - the local dashboard in a real browser (the Chromium of the
 *   @sparticuz/chromium package, driven by playwright-core), with LANG=C.UTF-8,
 *   so it reports its language as `en-US@posix`, which Intl rejects. Saves a
 *   screenshot to test-results/dashboard.png (and, when asked, the README's
 *   copy to docs/dashboard.png).
 *
 * The fetch schedule fires at start (as `npm start` does); fetch-prices ticks
 * every 2 s for 10 s per invocation, so its metrics (written when an
 * invocation ends) come 10 s after start.
 */
import { chmod, copyFile, cp, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import pg from 'pg';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCloudWatchDashboard } from '../../cdk/dashboard/cloudwatch.ts';
import {
  DASHBOARD,
  type DashboardDefinition,
  type MetricWidget,
} from '../../cdk/dashboard/definition.ts';
import {
  combineListeners,
  type LocalDashboard,
  MetricsCollector,
  startLocalDashboard,
} from '../../local/dashboard/index.ts';
import { type LocalRuntime, PROJECT_DIR, startLocalRuntime } from '../../local/runtime.ts';
import { launchBrowser } from '../../scripts/browser.ts';
import { startCoinbaseStandIn } from '../../scripts/chaos/coinbase-stand-in.ts';
import { stackAssembly } from '../support/assembly.ts';
import {
  appMetricViolations,
  awsMetricViolations,
  emfDocuments,
  logFieldViolations,
  logsQueries,
  queryFields,
  watchedMetrics,
} from '../support/metric-contract.ts';
import type { PageElement } from '../support/page-element.ts';
import { waitFor } from '../support/wait.ts';

const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'DOGE-USD'];
const NAMESPACE = 'Pricestream';
const DASHBOARD_PORT = Number(process.env.PRICESTREAM_E2E_DASHBOARD_PORT ?? 3009);
const SCREENSHOT = path.join(PROJECT_DIR, 'test-results', 'dashboard.png');
const README_SCREENSHOT = path.join(PROJECT_DIR, 'docs', 'dashboard.png');
/** `PRICESTREAM_UPDATE_README_SCREENSHOT=1 npm run test:e2e` refreshes docs/dashboard.png. */
const UPDATE_README = process.env.PRICESTREAM_UPDATE_README_SCREENSHOT === '1';

let runtime: LocalRuntime;
let pool: pg.Pool;
let standIn: Awaited<ReturnType<typeof startCoinbaseStandIn>>;
let workDir: string;
let template: Record<string, unknown>;
let dashboard: LocalDashboard | undefined;
let browser: BrowserContext | undefined;
/** The browser while it starts, so afterAll closes it even when the start-up failed first. */
let launching: Promise<BrowserContext> | undefined;
let page: Page;
let started: number;
/** Output lines per function (short name). */
const lines = new Map<string, string[]>();
/** The runtime's notices (what it did at start among them). */
const notices: string[] = [];

const allLines = () => [...lines.values()].flat();

beforeAll(async () => {
  standIn = await startCoinbaseStandIn({
    'BTC-USD': 86746.07,
    'ETH-USD': 2950.12,
    'SOL-USD': 140.25,
    'ADA-USD': 0.4231,
    'DOGE-USD': 0.1502,
  });
  workDir = await mkdtemp(path.join(tmpdir(), 'pricestream-e2e-'));
  await chmod(workDir, 0o755); // as root, PostgreSQL runs as the postgres user
  const collector = new MetricsCollector();
  started = Date.now();
  // The browser starts while the pipeline does.
  launching = launchBrowser({
    userDataDir: path.join(workDir, 'chromium-profile'),
    lang: 'C.UTF-8',
    viewport: { width: 1440, height: 900 },
  });
  launching.catch(() => {});
  const cdkOut = path.join(workDir, 'cdk.out');
  await cp(await stackAssembly(), cdkOut, { recursive: true });
  runtime = await startLocalRuntime({
    cdkOut,
    dataDir: path.join(workDir, 'data'),
    postgresPort: Number(process.env.PRICESTREAM_E2E_PG_PORT ?? 54349),
    kinesisPort: Number(process.env.PRICESTREAM_E2E_KINESIS_PORT ?? 4588),
    databaseUrl: undefined,
    kinesisEndpoint: undefined,
    env: {},
    // The README's screenshot wants minutes of data: a fetch every 10 s then.
    ...(UPDATE_README ? { scheduleTimeScale: 1 / 6 } : {}),
    functionEnv: {
      FetchPrices: {
        PRICE_SOURCE: 'coinbase',
        COINBASE_BASE_URL: standIn.baseUrl,
        POLL_INTERVAL_SECONDS: '2',
        SCHEDULE_PERIOD_SECONDS: '10',
      },
    },
    listeners: combineListeners(collector.listeners, {
      notice: (notice) => notices.push(notice.message),
      log: (line) => {
        const list = lines.get(line.function) ?? [];
        list.push(line.line);
        lines.set(line.function, list);
      },
    }),
  });
  pool = new pg.Pool({ connectionString: runtime.databaseUrl, max: 2 });
  template = JSON.parse(
    await readFile(path.join(runtime.cdkOut, `${runtime.stackName}.template.json`), 'utf8'),
  );
  dashboard = await startLocalDashboard({ runtime, collector, port: DASHBOARD_PORT });
  browser = await launching;
  page = browser.pages()[0] ?? (await browser.newPage());
}, 240_000);

afterAll(async () => {
  await (browser ?? (await launching?.catch(() => undefined)))?.close();
  await dashboard?.close();
  await pool?.end();
  await runtime?.stop();
  await standIn?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

interface Row {
  consumer: 'realtime' | 'batch';
  event_id: string;
  symbol: string;
  price: number;
  source: string;
  fetched_at: Date;
  ingested_at: Date;
  received_at: Date;
  processed_at: Date;
}

describe('the pipeline on one machine', () => {
  it('runs every function of the template, from the cloud assembly', () => {
    expect(notices).toContain(
      `${runtime.cdkOut} is current for the sources: not synthesized again`,
    );
    const hosted = runtime.functions.filter((f) => f.hosted).map((f) => f.name);
    expect(hosted).toEqual(
      expect.arrayContaining(['FetchPrices', 'RealtimeConsumer', 'BatchConsumer', 'Migrate']),
    );
    expect(
      runtime.mappings.map((m) => [m.model.batchSize, m.model.maximumBatchingWindowSeconds]).sort(),
    ).toEqual([
      [1, 0],
      [1000, 15],
    ]);
  });

  it('moves Coinbase prices into silver.prices through both consumers, realtime first', async () => {
    // A tick of five symbols, through both consumers: the batch consumer waits its 15 s window.
    const rows = await waitFor(
      async () => (await pool.query<Row>('SELECT * FROM silver.prices ORDER BY id')).rows,
      (found) => {
        const ids = (c: string) =>
          new Set(found.filter((r) => r.consumer === c).map((r) => r.event_id));
        const batch = ids('batch');
        // Each shard has its own batching window: wait until every symbol's shard delivered.
        const symbols = new Set(found.filter((r) => r.consumer === 'batch').map((r) => r.symbol));
        return symbols.size === SYMBOLS.length && [...batch].every((id) => ids('realtime').has(id));
      },
      { timeoutMs: 90_000, what: 'rows from both consumers for one tick' },
    );

    const batchRows = rows.filter((r) => r.consumer === 'batch');
    expect(new Set(batchRows.map((r) => r.symbol))).toEqual(new Set(SYMBOLS));
    expect(new Set(standIn.requests)).toEqual(new Set(SYMBOLS));
    for (const batchRow of batchRows) {
      const realtimeRow = rows.find(
        (r) => r.consumer === 'realtime' && r.event_id === batchRow.event_id,
      ) as Row;
      expect(batchRow.source).toBe('coinbase');
      expect(batchRow.event_id).toMatch(/^coinbase:[A-Z]+-USD:\d+$/);
      expect(realtimeRow.price).toBe(batchRow.price);
      for (const row of [realtimeRow, batchRow]) {
        // Every stage after the one before it, on one machine's clock.
        expect(row.ingested_at.getTime()).toBeGreaterThanOrEqual(row.fetched_at.getTime());
        expect(row.received_at.getTime()).toBeGreaterThanOrEqual(row.ingested_at.getTime());
        expect(row.processed_at.getTime()).toBeGreaterThanOrEqual(row.received_at.getTime());
        expect(row.processed_at.getTime() - row.fetched_at.getTime()).toBeLessThan(30_000);
      }
      // The per-record path does not wait for a batching window.
      expect(realtimeRow.processed_at.getTime()).toBeLessThan(batchRow.processed_at.getTime());
      expect(batchRow.received_at.getTime() - batchRow.ingested_at.getTime()).toBeGreaterThan(
        realtimeRow.received_at.getTime() - realtimeRow.ingested_at.getTime(),
      );
    }
    const { rows: rejected } = await pool.query(
      'SELECT count(*)::int AS n FROM silver.rejected_events',
    );
    expect(rejected[0].n).toBe(0);
  });
});

/** The log lines of the function whose log group the template token names. */
function linesOfLogGroup(token: string): string[] {
  const logicalId = /^@@(\w+)@@$/.exec(token)?.[1];
  const resources = template.Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const fn = Object.entries(resources).find(
    ([, r]) =>
      r.Type === 'AWS::Lambda::Function' &&
      (r.Properties.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref ===
        logicalId,
  );
  const short = runtime.functions.find((f) => f.logicalId === fn?.[0])?.name;
  return short ? (lines.get(short) ?? []) : [];
}

describe('the metric contract', () => {
  beforeAll(async () => {
    // Each function run once by the test, besides what the schedule runs.
    await runtime.invoke('FetchPrices', {
      time: new Date().toISOString(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
    });
    for (const granularity of ['10m', '1h']) await runtime.invoke('Rollup', { granularity });
    // Both consumers, the batch one after its 15 s window.
    await waitFor(
      async () => emfDocuments(allLines()).map((doc) => doc.service),
      (services) => services.includes('realtime-consumer') && services.includes('batch-consumer'),
      { timeoutMs: 90_000, what: 'metrics from both consumers' },
    );
  }, 120_000);

  it('every app metric a widget or alarm of the template watches is emitted with exactly its dimensions', () => {
    const watched = watchedMetrics(template);
    const app = watched.filter((m) => m.namespace === NAMESPACE);

    // The dashboard and alarms watch the consumers, fetch-prices and the rollup.
    expect(new Set(app.map((m) => m.dimensions.service))).toEqual(
      new Set(['realtime-consumer', 'batch-consumer', 'fetch-prices', 'rollup']),
    );
    expect(appMetricViolations(watched, emfDocuments(allLines()), NAMESPACE)).toEqual([]);
  });

  it('every AWS metric is one AWS publishes, with its dimensions', () => {
    expect(awsMetricViolations(watchedMetrics(template), NAMESPACE)).toEqual([]);
  });

  it('every field of every Logs Insights query is in the log lines of the functions it reads', () => {
    const queries = logsQueries(template);

    expect(queries.length).toBeGreaterThan(0);
    expect(queryFields(queries[0]?.query ?? '')).toEqual(['message', 'written', 'consumer']);
    expect(logFieldViolations(queries, linesOfLogGroup)).toEqual([]);
  });

  it('fails when a widget’s dimension is changed', () => {
    // The same dashboard, but "End-to-end latency" keyed by symbol instead of consumer.
    const changed: DashboardDefinition = {
      ...DASHBOARD,
      sections: DASHBOARD.sections.map((section) => ({
        ...section,
        widgets: section.widgets.map((widget) =>
          widget.id !== 'e2e-latency'
            ? widget
            : {
                ...(widget as MetricWidget),
                metrics: (widget as MetricWidget).metrics.map((m) =>
                  m.source === 'app'
                    ? {
                        ...m,
                        dimensions: { service: m.dimensions.service, symbol: 'BTC-USD' } as never,
                      }
                    : m,
                ),
              },
        ),
      })),
    };
    const stack = new Stack(new App(), 'Changed');
    renderCloudWatchDashboard(
      stack,
      'Dashboard',
      'changed',
      {
        namespace: NAMESPACE,
        functionNames: {},
        streamName: 'prices',
        mappingIds: { realtime: 'r', batch: 'b' },
        symbols: ['BTC-USD'],
        timestreamEnabled: false,
        reportsFunction: { functionArn: 'arn:aws:lambda:us-east-1:0:function:reports' } as never,
        logGroups: { 'realtime-consumer': 'r', 'batch-consumer': 'b' },
      },
      changed,
    );

    const problems = appMetricViolations(
      watchedMetrics(Template.fromStack(stack).toJSON()),
      emfDocuments(allLines()),
      NAMESPACE,
    );

    // p50 and p95 of each consumer: four lines that would draw nothing on CloudWatch.
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(
      /^widget "End-to-end latency \(EMF\)": Pricestream EndToEndLatency \{"service":"realtime-consumer","symbol":"BTC-USD"\} p50: not emitted with exactly these dimensions; emitted with .*\{"service":"realtime-consumer","consumer":"realtime"\}/,
    );
  });
});

// Code that runs in the page (waitForFunction, evaluate): functions, not strings,
// which the page's CSP would refuse to eval.
declare const document: {
  body: { dataset: Record<string, string | undefined> };
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
};
declare const navigator: { language: string };
declare const location: { hash: string };

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked field by field
async function api(pathname: string): Promise<any> {
  const response = await fetch(`${dashboard?.url}${pathname}`);
  return response.json();
}

/**
 * Every time-series widget that is not empty: its state, how many chart
 * panels it has, how many hold a uPlot canvas with drawn pixels, and any
 * problem text.
 */
async function chartWidgets() {
  return page.evaluate(() =>
    [
      ...document.querySelectorAll(
        '.widget:is([data-type="timeseries"], [data-type="cdf"]):not([data-state="empty"]):not([data-state="unavailable"])',
      ),
    ].map((widget) => {
      const holders = [...widget.querySelectorAll('.uplot')];
      const drawn = holders.filter((holder) => {
        const canvas = holder.querySelector('canvas');
        if (!canvas || canvas.width === 0 || canvas.height === 0) return false;
        const pixels = canvas
          .getContext('2d')
          ?.getImageData(0, 0, canvas.width, canvas.height).data;
        return pixels?.some((value) => value !== 0) ?? false;
      });
      const problem = widget.querySelector('.problem');
      return {
        id: widget.id.replace(/^widget-/, ''),
        state: widget.getAttribute('data-state'),
        panels: holders.length,
        drawn: drawn.length,
        problem: problem && !problem.hidden ? problem.textContent : null,
      };
    }),
  );
}

/** The widget's state on the page: ok, empty, unavailable or error. */
const stateOf = async (id: string) =>
  (await page.locator(`#widget-${id}`).getAttribute('data-state')) ?? 'loading';

describe('local dashboard in a browser', () => {
  beforeAll(async () => {
    // Real numbers everywhere that matters: both consumers wrote, fetch-prices
    // finished an invocation (its metrics come at the end), gold has an hour.
    await waitFor(
      () => api('/api/widgets/freshness?range=15m'),
      (d) =>
        d.body?.rows?.length === 2 && d.body.rows.every((r: { records: number }) => r.records > 0),
      { timeoutMs: 90_000, intervalMs: 1_000, what: 'rows from both consumers' },
    );
    await waitFor(
      () => api('/api/widgets/fetch-success?range=15m'),
      (d) => d.empty === false,
      { timeoutMs: 60_000, intervalMs: 1_000, what: 'fetch-prices metrics' },
    );
    // A few minutes of data make the README's screenshot worth looking at; the
    // test itself needs only what the waits above ensured.
    const warmUpMs =
      Number(process.env.PRICESTREAM_E2E_DASHBOARD_WARMUP_S ?? (UPDATE_README ? 150 : 0)) * 1000;
    if (warmUpMs > 0) {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, started + warmUpMs - Date.now())),
      );
    }
    await runtime.invoke('Rollup', { granularity: '1h' });
    await runtime.invoke('Rollup', { granularity: '10m' });
  }, 360_000);

  it('shows real numbers and charts from the running pipeline', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));

    // The browser's language is one Intl rejects (LANG=C.UTF-8).
    expect(await page.evaluate(() => navigator.language)).toBe('en-US@posix');

    await page.goto(`${dashboard?.url}/#range=5m`);
    await page.waitForFunction(() => document.body.dataset.refreshed !== undefined);

    // Latest prices: a card per symbol with a price.
    const prices = await page.locator('#widget-latest-prices .card .primary').allTextContents();
    expect(prices).toHaveLength(5);
    for (const price of prices) expect(price).toMatch(/^[\d,]+(\.\d+)?$/);

    // Every chart widget holds a drawn uPlot chart per panel, not an error.
    const charts = await chartWidgets();
    expect(charts.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        'e2e-latency',
        'latency-cdf',
        'latency-over-time',
        'records-written',
        'fetch-success',
      ]),
    );
    for (const chart of charts) {
      expect(chart, chart.id).toMatchObject({ state: 'ok', problem: null });
      expect(chart.drawn, chart.id).toBe(chart.panels);
      expect(chart.panels, chart.id).toBeGreaterThan(0);
    }
    expect(charts.find((c) => c.id === 'price-over-time')?.panels).toBe(5);

    // Single values and tables hold numbers.
    const totals = await page.locator('#widget-records-total .single .value').allTextContents();
    expect(totals.map((t) => Number(t.replace(/,/g, '')))).toEqual([
      expect.any(Number),
      expect.any(Number),
    ]);
    expect(Number(totals[0]?.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(await page.locator('#widget-records-by-symbol tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#widget-gold-hourly tbody tr').count()).toBe(5);

    // Widgets without local data say why; none is in error.
    expect(await page.locator('#widget-lambda-throttles .message').textContent()).toMatch(
      /Not measured locally/,
    );
    expect(await page.locator('[data-state="error"]').count()).toBe(0);
    expect(await page.locator('#db-status').textContent()).toBe('PostgreSQL');
    expect(errors).toEqual([]);

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // The README's copy: the first screens (now, latency, throughput, prices), kept small.
    await mkdir(path.dirname(README_SCREENSHOT), { recursive: true });
    const readme = path.join(workDir, 'readme.png');
    await page.screenshot({
      path: readme,
      fullPage: true,
      clip: { x: 0, y: 0, width: 1440, height: 1500 },
    });
    expect((await stat(readme)).size).toBeLessThan(300 * 1024);
    if (UPDATE_README) await copyFile(readme, README_SCREENSHOT);
  });

  it('says what is wrong with a silly time range, and recovers when it is fixed', async () => {
    await page.goto(`${dashboard?.url}/#from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`);
    await page.waitForFunction(() => document.querySelector('.banner.bad') !== null);

    expect(await page.locator('.banner.bad').first().textContent()).toBe(
      'Time range: from must be before to',
    );
    expect(await stateOf('e2e-latency')).toBe('error');
    expect(await page.locator('#widget-e2e-latency .problem').textContent()).toMatch(
      /from must be before to/,
    );

    await page.evaluate(() => {
      location.hash = 'range=1h';
    });
    await page.waitForFunction(
      () => document.querySelector('#widget-e2e-latency')?.getAttribute('data-state') === 'ok',
    );
    await page.waitForFunction(() => document.querySelector('.banner.bad') === null);
    expect(await stateOf('records-written')).toBe('ok');
  });

  it('answers a request for an unknown widget with a message, not a crash', async () => {
    const response = await fetch(`${dashboard?.url}/api/widgets/nope?range=15m`);

    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'unknown-widget' });
    expect((await fetch(`${dashboard?.url}/api/status`)).status).toBe(200);
  });
});
