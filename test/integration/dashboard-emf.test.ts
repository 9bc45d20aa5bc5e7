import type { Context, KinesisStreamRecord } from 'aws-lambda';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandler as createBatchHandler } from '../../lambdas/batch-consumer/index.ts';
import { createHandler as createRealtimeHandler } from '../../lambdas/realtime-consumer/index.ts';
import { createConsumerMetrics } from '../../lambdas/shared/metrics.ts';
import { encodePriceEvent } from '../../lambdas/shared/price-event.ts';
import { MetricsCollector } from '../../local/dashboard/collector.ts';
import { ensureMetricStore } from '../../local/dashboard/metric-store.ts';
import { captureStdout, emfDocuments } from '../support/emf-output.ts';
import { priceEvent } from '../support/events.ts';
import { asEvent } from '../support/kinesis.ts';
import { migratedDatabase } from '../support/migrated-db.ts';
import { fileStream } from '../support/stream-records.ts';

const context = { getRemainingTimeInMillis: () => 30_000 } as Context;
let pool: pg.Pool;
let stream: Awaited<ReturnType<typeof fileStream>>;

beforeAll(async () => {
  ({ pool } = await migratedDatabase('dashboard_emf'));
  await ensureMetricStore(pool);
  stream = await fileStream('dashboard-emf');
});
afterAll(async () => {
  await stream.delete();
  await pool.end();
});
beforeEach(() => {
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'PricestreamEmfTest');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const recordsFor = (payloads: Uint8Array[]): Promise<KinesisStreamRecord[]> =>
  stream.recordsFor(payloads);

describe.each([
  ['realtime', createRealtimeHandler],
  ['batch', createBatchHandler],
] as const)('%s consumer metrics', (consumer, createHandler) => {
  it('publishes, once, the exact latency of each row written and what was not written', async () => {
    const events = [priceEvent(), priceEvent(), priceEvent()];
    const duplicate = events[0] as ReturnType<typeof priceEvent>;
    const records = await recordsFor([
      ...events.map(encodePriceEvent),
      encodePriceEvent(duplicate), // a producer retry: same event id
      Buffer.from('not json'),
    ]);
    const handler = createHandler({
      db: async () => pool,
      metrics: createConsumerMetrics(consumer),
    });

    const { lines } = await captureStdout(() => handler(asEvent(records), context));

    const docs = emfDocuments(lines);
    expect(docs).toHaveLength(1);
    const doc = docs[0] as Record<string, unknown>;
    expect(doc).toMatchObject({
      consumer,
      RecordsWritten: 3,
      DuplicatesSkipped: 1,
      RecordsRejected: 1,
      RecordsFailed: 0,
    });
    const { rows } = await pool.query<{ ms: number }>(
      `SELECT (extract(epoch FROM processed_at - fetched_at) * 1000)::float8 AS ms
         FROM silver.prices WHERE consumer = $1 AND event_id = ANY($2)`,
      [consumer, events.map((e) => e.eventId)],
    );
    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    expect(sorted(doc.EndToEndLatency as number[])).toEqual(sorted(rows.map((r) => r.ms)));
  });

  it('reports the whole batch as failed while PostgreSQL is down', async () => {
    const records = await recordsFor([
      encodePriceEvent(priceEvent()),
      encodePriceEvent(priceEvent()),
    ]);
    const dead = new pg.Pool({
      connectionString: 'postgres://postgres:postgres@127.0.0.1:9/none',
      connectionTimeoutMillis: 500,
    });
    dead.on('error', () => {});
    const handler = createHandler({
      db: async () => dead,
      metrics: createConsumerMetrics(consumer),
    });

    const { lines } = await captureStdout(async () => {
      await handler(asEvent(records), context).catch(() => undefined);
    });
    await dead.end();

    const [doc] = emfDocuments(lines);
    expect(doc).toMatchObject({ RecordsWritten: 0, RecordsFailed: 2 });
    expect(doc).not.toHaveProperty('EndToEndLatency');
  });
});

it('stores what the consumers print, point for point, in the local metric store', async () => {
  const records = await recordsFor([
    encodePriceEvent(priceEvent()),
    encodePriceEvent(priceEvent()),
  ]);
  const handler = createBatchHandler({
    db: async () => pool,
    metrics: createConsumerMetrics('batch'),
  });
  const collector = new MetricsCollector({ flushIntervalMs: 60_000 });
  collector.attach(pool, [{ name: 'BatchConsumer', environment: {} }]);

  const { lines } = await captureStdout(() => handler(asEvent(records), context));
  const since = new Date(Date.now() - 60_000);
  for (const line of lines) collector.acceptLine('BatchConsumer', line);
  await collector.close();

  const [doc] = emfDocuments(lines);
  const { rows } = await pool.query(
    `SELECT metric, unit, value, dimensions, function FROM local_runtime.metric_points
      WHERE namespace = 'PricestreamEmfTest' AND time >= $1 AND metric = 'EndToEndLatency'
        AND value = ANY($2::float8[]) ORDER BY value`,
    [since, doc?.EndToEndLatency],
  );
  expect(rows).toHaveLength(2);
  expect(rows[0]).toMatchObject({
    unit: 'Milliseconds',
    dimensions: { service: 'batch-consumer', consumer: 'batch' },
    function: 'BatchConsumer',
  });
});
