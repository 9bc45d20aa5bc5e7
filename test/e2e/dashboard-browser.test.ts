/**
 * The local dashboard in a real browser (the Chromium of the
 * @sparticuz/chromium package, driven by playwright-core) over a running
 * local pipeline: the synthesized stack on the local runtime with the
 * simulated market, fetching every 2 s for a quick start. The browser runs
 * with LANG=C.UTF-8, so it reports its language as `en-US@posix`, which Intl
 * rejects. Saves a screenshot to test-results/dashboard.png (and, when asked,
 * the README's copy to docs/dashboard.png).
 */
import { chmod, copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LocalDashboard,
  MetricsCollector,
  startLocalDashboard,
} from '../../local/dashboard/index.ts';
import { type LocalRuntime, PROJECT_DIR, startLocalRuntime } from '../../local/runtime.ts';
import { launchBrowser } from '../../scripts/browser.ts';
import { waitFor } from '../support/wait.ts';

const DASHBOARD_PORT = Number(process.env.PRICESTREAM_E2E_DASHBOARD_PORT ?? 3009);
const SCREENSHOT = path.join(PROJECT_DIR, 'test-results', 'dashboard.png');
const README_SCREENSHOT = path.join(PROJECT_DIR, 'docs', 'dashboard.png');
/** `PRICESTREAM_UPDATE_README_SCREENSHOT=1 npm run test:e2e` refreshes docs/dashboard.png. */
const UPDATE_README = process.env.PRICESTREAM_UPDATE_README_SCREENSHOT === '1';

let workDir: string;
let runtime: LocalRuntime | undefined;
let dashboard: LocalDashboard | undefined;
let browser: BrowserContext | undefined;
let page: Page;

// Code that runs in the page (waitForFunction, evaluate): functions, not strings,
// which the page's CSP would refuse to eval. This project's TypeScript has no DOM
// types, so the little used here is declared.
interface PageElement {
  id: string;
  hidden: boolean;
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  // Canvas only.
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  } | null;
}
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

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'pricestream-e2e-dashboard-'));
  await chmod(workDir, 0o755); // as root, PostgreSQL runs as the postgres user
  const collector = new MetricsCollector();
  const started = Date.now();
  runtime = await startLocalRuntime({
    cdkOut: path.join(workDir, 'cdk.out'),
    dataDir: path.join(workDir, 'data'),
    postgresPort: Number(process.env.PRICESTREAM_E2E_DASHBOARD_PG_PORT ?? 54369),
    kinesisPort: Number(process.env.PRICESTREAM_E2E_DASHBOARD_KINESIS_PORT ?? 4608),
    databaseUrl: undefined,
    kinesisEndpoint: undefined,
    env: {},
    // fetch-prices every 10 s (a 1-minute rate at 1/6), ticking every 2 s inside.
    scheduleTimeScale: 1 / 6,
    functionEnv: {
      FetchPrices: {
        PRICE_SOURCE: 'sim',
        POLL_INTERVAL_SECONDS: '2',
        SCHEDULE_PERIOD_SECONDS: '10',
      },
    },
    listeners: collector.listeners,
  });
  dashboard = await startLocalDashboard({ runtime, collector, port: DASHBOARD_PORT });

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
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + warmUpMs - Date.now())));
  await runtime.invoke('Rollup', { granularity: '1h' });
  await runtime.invoke('Rollup', { granularity: '10m' });

  browser = await launchBrowser({
    userDataDir: path.join(workDir, 'chromium-profile'),
    lang: 'C.UTF-8',
    viewport: { width: 1440, height: 900 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
}, 360_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await runtime?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('local dashboard in a browser', () => {
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
