import { request } from 'node:http';
import type { Context } from 'aws-lambda';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { allWidgets } from '../../cdk/dashboard/definition.ts';
import { createHandler as createBatchHandler } from '../../lambdas/batch-consumer/index.ts';
import { createHandler as createRealtimeHandler } from '../../lambdas/realtime-consumer/index.ts';
import { createMetrics } from '../../lambdas/shared/metrics.ts';
import { encodePriceEvent } from '../../lambdas/shared/price-event.ts';
import { runRollup } from '../../lambdas/shared/rollup.ts';
import { MetricsCollector } from '../../local/dashboard/collector.ts';
import { ensureMetricStore } from '../../local/dashboard/metric-store.ts';
import { type DashboardServer, startDashboardServer } from '../../local/dashboard/server.ts';
import { freshDatabase } from '../support/db.ts';
import { captureStdout } from '../support/emf-output.ts';
import { priceEvent } from '../support/events.ts';
import { asEvent } from '../support/kinesis.ts';
import { migratedDatabase } from '../support/migrated-db.ts';
import { fileStream } from '../support/stream-records.ts';

const NAMESPACE = 'PricestreamDashboardTest';
const FUNCTIONS = [
  { name: 'RealtimeConsumer', environment: { POWERTOOLS_SERVICE_NAME: 'realtime-consumer' } },
  { name: 'BatchConsumer', environment: { POWERTOOLS_SERVICE_NAME: 'batch-consumer' } },
];
const context = { getRemainingTimeInMillis: () => 30_000 } as Context;

let pool: pg.Pool;
let collector: MetricsCollector;
let server: DashboardServer;
const closers: Array<() => Promise<void>> = [];

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked field by field
  body: any;
}

async function get(base: DashboardServer, path: string): Promise<Answer> {
  const response = await fetch(`${base.url}${path}`);
  return { status: response.status, body: await response.json() };
}

/** A raw request, for what fetch will not send (another Host, another method). */
function raw(
  base: DashboardServer,
  options: { path: string; method?: string; host?: string },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: base.port,
        path: options.path,
        method: options.method ?? 'GET',
        headers: { Host: options.host ?? `127.0.0.1:${base.port}` },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const withEnv = async <T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> => {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
};

/** The rows of a fresh stream, through both real consumers, their EMF lines into the collector. */
async function consume(events: ReturnType<typeof priceEvent>[]): Promise<void> {
  const stream = await fileStream('dashboard-api');
  const records = await stream
    .recordsFor(events.map(encodePriceEvent))
    .finally(() => stream.delete());
  for (const [fn, service, consumer, create] of [
    ['RealtimeConsumer', 'realtime-consumer', 'realtime', createRealtimeHandler],
    ['BatchConsumer', 'batch-consumer', 'batch', createBatchHandler],
  ] as const) {
    const { lines } = await withEnv(
      { POWERTOOLS_METRICS_NAMESPACE: NAMESPACE, POWERTOOLS_SERVICE_NAME: service },
      () =>
        captureStdout(async () => {
          const handler = create({
            db: async () => pool,
            metrics: createMetrics(service, { consumer }),
          });
          await handler(asEvent(records), context);
        }),
    );
    for (const line of lines) collector.acceptLine(fn, line);
    collector.listeners.invocation?.({
      function: fn,
      functionName: `Pricestream-${fn}`,
      requestId: 'r',
      coldStart: false,
      initDurationMs: undefined,
      durationMs: 42,
      error: undefined,
    });
  }
  await collector.flush();
}

beforeAll(async () => {
  ({ pool } = await migratedDatabase('dashboard_api'));
  await ensureMetricStore(pool);
  collector = new MetricsCollector({ flushIntervalMs: 60_000 });
  collector.attach(pool, FUNCTIONS);
  server = await startDashboardServer({ port: 0, db: pool, namespace: NAMESPACE, collector });
  closers.push(
    () => server.close(),
    () => collector.close(),
    () => pool.end(),
  );

  const now = Date.now();
  const at = (ms: number) => new Date(now - ms).toISOString();
  // Event times inside one hour (the previous one), so the hourly rollup has one bucket per symbol.
  const hour = Math.floor(now / 3_600_000) * 3_600_000 - 3_600_000;
  const inHour = (minutes: number) => new Date(hour + minutes * 60_000).toISOString();
  await consume([
    priceEvent({
      symbol: 'BTC-USD',
      base: 'BTC',
      price: 86_000,
      fetchedAt: at(4000),
      eventTime: inHour(20),
    }),
    priceEvent({
      symbol: 'BTC-USD',
      base: 'BTC',
      price: 86_100,
      fetchedAt: at(2000),
      eventTime: inHour(40),
    }),
    priceEvent({
      symbol: 'ETH-USD',
      base: 'ETH',
      price: 2950,
      fetchedAt: at(3000),
      eventTime: inHour(30),
    }),
  ]);
  await runRollup(pool, { granularity: '1h', sourceConsumer: 'realtime' });
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe('local dashboard API', () => {
  it('lists the definition’s sections and widgets, without the Timestream one when it is off', async () => {
    const { status, body } = await get(server, '/api/dashboard');

    expect(status).toBe(200);
    const ids = body.sections.flatMap((s: { widgets: Array<{ id: string }> }) =>
      s.widgets.map((w) => w.id),
    );
    expect(ids).toEqual(
      allWidgets()
        .map((w) => w.id)
        .filter((id) => id !== 'timestream-mirror'),
    );
    expect(body.ranges).toEqual(['5m', '15m', '1h', '6h', '24h', '7d']);
  });

  it('draws the end-to-end latency the consumers published, per consumer', async () => {
    const { status, body } = await get(server, '/api/widgets/e2e-latency?range=15m');

    expect(status).toBe(200);
    expect(body.empty).toBe(false);
    const [panel] = body.body.panels;
    expect(panel.series.map((s: { label: string }) => s.label)).toEqual([
      'realtime p50',
      'batch p50',
      'realtime p95',
      'batch p95',
    ]);
    const { rows } = await pool.query(
      `SELECT consumer, max(extract(epoch FROM processed_at - fetched_at) * 1000)::float8 AS max_ms
         FROM silver.prices GROUP BY consumer`,
    );
    for (const series of panel.series as Array<{ label: string; values: Array<number | null> }>) {
      const values = series.values.filter((v): v is number => v !== null);
      expect(values.length, series.label).toBeGreaterThan(0);
      const max = rows.find((r) => series.label.startsWith(r.consumer)).max_ms;
      for (const v of values) expect(v).toBeLessThanOrEqual(max + 1e-6);
    }
  });

  it('draws the latency CDF of each consumer from silver.prices', async () => {
    const { status, body } = await get(server, '/api/widgets/latency-cdf?range=15m');

    expect(status).toBe(200);
    expect(body.empty).toBe(false);
    expect(body.body.type).toBe('cdf');
    const series = body.body.series as Array<{
      label: string;
      records: number;
      points: Array<[number, number]>;
    }>;
    expect(series.map((s) => [s.label, s.records])).toEqual([
      ['realtime', 3],
      ['batch', 3],
    ]);
    const { rows } = await pool.query(
      `SELECT consumer,
              min(extract(epoch FROM processed_at - fetched_at) * 1000)::float8 AS min_ms,
              max(extract(epoch FROM processed_at - fetched_at) * 1000)::float8 AS max_ms
         FROM silver.prices GROUP BY consumer`,
    );
    for (const line of series) {
      expect(line.points).toHaveLength(201);
      const shares = line.points.map(([, share]) => share);
      const values = line.points.map(([value]) => value);
      expect(shares[0]).toBe(0);
      expect(shares.at(-1)).toBe(1);
      for (let i = 1; i < values.length; i++) {
        expect(values[i]).toBeGreaterThanOrEqual(values[i - 1] as number);
        expect(shares[i]).toBeGreaterThan(shares[i - 1] as number);
      }
      const row = rows.find((r) => r.consumer === line.label);
      expect(values[0]).toBeCloseTo(row.min_ms, 6);
      expect(values.at(-1)).toBeCloseTo(row.max_ms, 6);
    }
  });

  it('totals the records written over the range, as the database counts them', async () => {
    const { body } = await get(server, '/api/widgets/records-total?range=1h');

    expect(body.body).toEqual({
      type: 'single-value',
      unit: 'count',
      values: [
        { label: 'realtime', value: 3 },
        { label: 'batch', value: 3 },
      ],
    });
  });

  it('shows the latest price per symbol from silver', async () => {
    const { body } = await get(server, '/api/widgets/latest-prices?range=15m');

    expect(body.body.type).toBe('cards');
    expect(
      body.body.rows.map((r: { symbol: string; price: number }) => [r.symbol, r.price]),
    ).toEqual([
      ['BTC-USD', 86_100],
      ['ETH-USD', 2950],
    ]);
  });

  it('draws the price per symbol as one chart per symbol, a line per consumer', async () => {
    const { body } = await get(server, '/api/widgets/price-over-time?range=6h');

    const panels = body.body.panels as Array<{ title: string; series: Array<{ label: string }> }>;
    expect(panels.map((p) => p.title)).toEqual(['BTC-USD', 'ETH-USD']);
    for (const panel of panels) {
      expect(panel.series.map((s) => s.label)).toEqual(['realtime', 'batch']);
    }
  });

  it('answers every widget of the definition for a range', async () => {
    for (const widget of allWidgets().filter((w) => w.id !== 'timestream-mirror')) {
      const { status, body } = await get(server, `/api/widgets/${widget.id}?range=1h`);
      expect(status, widget.id).toBe(200);
      expect(body.id).toBe(widget.id);
      if (body.empty) expect(body.emptyMessage, widget.id).toEqual(expect.any(String));
    }
  });

  it('reads gold from the rollups engineer’s view', async () => {
    const { body } = await get(server, '/api/widgets/gold-hourly?range=1h');

    expect(body.empty).toBe(false);
    expect(body.body.rows.map((r: { symbol: string }) => r.symbol)).toEqual(['BTC-USD', 'ETH-USD']);
    expect(body.body.rows[0]).toMatchObject({ avg_price: 86_050, record_count: 2 });
  });

  it('says why a metric widget has nothing to show', async () => {
    const fetch = await get(server, '/api/widgets/fetch-success?range=15m');
    const throttles = await get(server, '/api/widgets/lambda-throttles?range=15m');

    expect(fetch.body).toMatchObject({
      empty: true,
      emptyMessage: 'No data for “Fetch successes per symbol (EMF)” in this time range yet.',
    });
    expect(throttles.body).toMatchObject({
      empty: true,
      body: { type: 'unavailable', message: expect.stringMatching(/^Not measured locally/) },
    });
  });

  it('draws the local runtime’s own measurements where AWS metrics would be', async () => {
    const { body } = await get(server, '/api/widgets/lambda-duration?range=15m');

    expect(body.note).toMatch(/local Lambda host/);
    const series = body.body.panels[0].series as Array<{ label: string; values: number[] }>;
    expect(series.map((s) => s.label)).toEqual(['batch-consumer', 'realtime-consumer']);
    expect(series[0]?.values.filter((v) => v !== null)).toEqual([42]);
  });

  it('takes "now" from its clock: relative ranges end at it, and later times are the future', async () => {
    const clockNow = Date.now() - 10 * 86_400_000;
    const lagging = await startDashboardServer({
      port: 0,
      db: pool,
      namespace: NAMESPACE,
      collector,
      clock: () => clockNow,
    });
    onTestFinished(() => lagging.close());
    const lastHour = `from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date().toISOString()}`;

    const relative = await get(lagging, '/api/widgets/records-total?range=1h');
    const future = await get(lagging, `/api/widgets/records-total?${lastHour}`);
    const present = await get(server, `/api/widgets/records-total?${lastHour}`);

    expect(relative.body).toMatchObject({
      from: new Date(clockNow - 3_600_000).toISOString(),
      to: new Date(clockNow).toISOString(),
    });
    expect(future).toMatchObject({ status: 400, body: { error: 'bad-range' } });
    expect(future.body.message).toMatch(/future/);
    expect(present.status).toBe(200);
  });

  it('refuses an unknown widget and a silly time range, saying what is wrong', async () => {
    const unknown = await get(server, '/api/widgets/no-such-widget?range=15m');
    const backwards = await get(
      server,
      '/api/widgets/e2e-latency?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
    );
    const huge = await get(server, '/api/widgets/e2e-latency?range=10y');
    const sql = await get(
      server,
      `/api/widgets/e2e-latency?from=${encodeURIComponent("'; DROP TABLE x")}&to=1`,
    );

    expect(unknown).toMatchObject({ status: 404, body: { error: 'unknown-widget' } });
    expect(backwards).toEqual({
      status: 400,
      body: { error: 'bad-range', message: 'from must be before to' },
    });
    expect(huge).toMatchObject({ status: 400, body: { error: 'bad-range' } });
    expect(sql).toMatchObject({ status: 400, body: { error: 'bad-range' } });
    // The server still answers.
    expect((await get(server, '/api/widgets/records-total?range=15m')).status).toBe(200);
  });

  it('answers only GET, only to its own host names (no DNS rebinding)', async () => {
    expect((await raw(server, { path: '/api/dashboard', method: 'POST' })).status).toBe(405);
    for (const host of [
      'attacker.example',
      `attacker.example:${server.port}`,
      `127.0.0.1.nip.io:${server.port}`,
      '127.0.0.1',
      `localhost:${server.port + 1}`,
    ]) {
      for (const path of ['/', '/api/dashboard', '/api/widgets/records-total?range=15m']) {
        expect((await raw(server, { path, host })).status, `${host} ${path}`).toBe(403);
      }
    }
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`]) {
      expect((await raw(server, { path: '/api/dashboard', host })).status).toBe(200);
    }
  });

  it('serves the page and the charting library from node_modules', async () => {
    const page = await fetch(`${server.url}/`);
    const uplot = await fetch(`${server.url}/vendor/uPlot.iife.min.js`);

    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('/vendor/uPlot.iife.min.js');
    expect(uplot.status).toBe(200);
    expect(await uplot.text()).toContain('uPlot');
  });

  it('reports a malformed EMF line in the status, and keeps collecting', async () => {
    collector.acceptLine(
      'RealtimeConsumer',
      '{"_aws":{"Timestamp":"soon","CloudWatchMetrics":[]}}',
    );

    const { body } = await get(server, '/api/status');

    expect(body.database).toEqual({ ok: true });
    expect(body.collector).toMatchObject({
      malformedLines: 1,
      lastMalformed: {
        function: 'RealtimeConsumer',
        reason: '_aws.Timestamp is not a number of epoch milliseconds',
      },
    });
    expect(body.collector.emfDocuments).toBeGreaterThan(0);
  });
});

describe('local dashboard API without its database', () => {
  it('says the database is unreachable, per widget and in the status, and keeps answering', async () => {
    const dead = new pg.Pool({
      connectionString: 'postgres://postgres:postgres@127.0.0.1:9/none',
      connectionTimeoutMillis: 500,
    });
    dead.on('error', () => {});
    const down = await startDashboardServer({
      port: 0,
      db: dead,
      namespace: NAMESPACE,
      collector: new MetricsCollector(),
    });
    try {
      const widget = await get(down, '/api/widgets/latest-prices?range=15m');
      const status = await get(down, '/api/status');
      const page = await fetch(`${down.url}/`);

      expect(widget.status).toBe(503);
      expect(widget.body).toMatchObject({
        error: 'database-unavailable',
        message: expect.stringMatching(/^PostgreSQL is not reachable \(.*ECONNREFUSED/),
      });
      expect(status.body.database).toMatchObject({ ok: false, message: expect.any(String) });
      expect(page.status).toBe(200);
    } finally {
      await down.close();
      await dead.end();
    }
  });

  it('says the migrations have not run on a database without the pipeline’s tables', async () => {
    const bare = await freshDatabase('dashboard_bare');
    const server = await startDashboardServer({
      port: 0,
      db: bare.pool,
      namespace: NAMESPACE,
      collector: new MetricsCollector(),
    });
    try {
      const { status, body } = await get(server, '/api/widgets/gold-hourly?range=1h');

      expect(status).toBe(503);
      expect(body).toMatchObject({
        error: 'not-migrated',
        message: expect.stringContaining('gold_hourly_metrics'),
      });
    } finally {
      await server.close();
      await bare.pool.end();
    }
  });

  it('keeps metric points in memory while the database is away, and stores them when it is back', async () => {
    const dead = new pg.Pool({
      connectionString: 'postgres://postgres:postgres@127.0.0.1:9/none',
      connectionTimeoutMillis: 500,
    });
    dead.on('error', () => {});
    const offline = new MetricsCollector({ flushIntervalMs: 60_000 });
    const before = (await pool.query('SELECT count(*)::int AS n FROM local_runtime.metric_points'))
      .rows[0].n as number;
    try {
      offline.attach(dead, FUNCTIONS);
      offline.listeners.deadLetter?.({
        mapping: 'm',
        function: 'BatchConsumer',
        shardId: 'shardId-000000000000',
        size: 3,
        condition: 'RetryAttemptsExhausted',
        destination: 'local_runtime.dead_letters',
      });
      await offline.flush();
      expect(offline.stats()).toMatchObject({
        pending: 1,
        pointsStored: 0,
        lastWriteError: { message: expect.stringMatching(/ECONNREFUSED/) },
      });

      offline.attach(pool, FUNCTIONS);
      await offline.flush();

      expect(offline.stats()).toMatchObject({ pending: 0, pointsStored: 1 });
      expect(offline.stats().lastWriteError).toBeUndefined();
      const { rows } = await pool.query(
        `SELECT metric, dimensions FROM local_runtime.metric_points ORDER BY id DESC LIMIT 1`,
      );
      expect(rows[0]).toEqual({
        metric: 'DeadLetterBatches',
        dimensions: { service: 'batch-consumer' },
      });
      const after = (await pool.query('SELECT count(*)::int AS n FROM local_runtime.metric_points'))
        .rows[0].n as number;
      expect(after).toBe(before + 1);
    } finally {
      await offline.close();
      await dead.end();
    }
  });
});
