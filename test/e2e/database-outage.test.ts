/**
 * PostgreSQL goes away while records arrive: the event source mappings retry
 * (partial batch responses for the per-record consumer, bisection for the
 * batched one) and every record lands once it is back, none lost, none doubled.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKinesisClient } from '../../lambdas/shared/kinesis-client.ts';
import { publishPriceEvents } from '../../lambdas/shared/publish.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.ts';
import { type PostgresService, startEmbeddedPostgres } from '../../local/services/postgres.ts';
import type { BatchReport } from '../../local/shared/runtime-events.ts';
import { stackAssembly } from '../support/assembly.ts';
import { priceEvent } from '../support/events.ts';
import { waitFor } from '../support/wait.ts';

const PG_PORT = Number(process.env.PRICESTREAM_E2E_OUTAGE_PG_PORT ?? 54348);
const KINESIS_PORT = Number(process.env.PRICESTREAM_E2E_OUTAGE_KINESIS_PORT ?? 4598);

let workDir: string;
let postgres: PostgresService;
let runtime: LocalRuntime;
const batches: BatchReport[] = [];

const startPostgres = () =>
  startEmbeddedPostgres({
    dataDir: path.join(workDir, 'pg'),
    port: PG_PORT,
    database: 'outage',
    fast: true,
  });

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'pricestream-outage-'));
  await chmod(workDir, 0o755); // as root, PostgreSQL runs as the postgres user
  postgres = await startPostgres();
  runtime = await startLocalRuntime({
    // A 2 s batching window instead of 15 s, so the batched consumer's tries
    // come sooner: the stack variant the study and bench tests use too.
    cdkOut: await stackAssembly({
      'pricestream:batch.batchingWindowSeconds': '2',
      'pricestream:batch.batchSize': '1000',
      'pricestream:realtime.enhancedFanOut': 'false',
    }),
    synth: false,
    dataDir: path.join(workDir, 'data'),
    databaseUrl: postgres.url,
    kinesisPort: KINESIS_PORT,
    env: {},
    schedules: false,
    retryBackoff: { initialDelayMs: 200, maxDelayMs: 1_000 },
    listeners: { batch: (report) => batches.push(report) },
  });
});

afterAll(async () => {
  await runtime?.stop();
  await postgres?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function counts(): Promise<Record<string, { rows: number; events: number }>> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ consumer: string; rows: number; events: number }>(
      'SELECT consumer, count(*)::int AS rows, count(DISTINCT event_id)::int AS events FROM silver.prices GROUP BY consumer',
    );
    return Object.fromEntries(rows.map((r) => [r.consumer, { rows: r.rows, events: r.events }]));
  } finally {
    await client.end();
  }
}

const landed = (n: number) => (c: Record<string, { rows: number; events: number }>) =>
  c.realtime?.events === n && c.batch?.events === n;

describe('PostgreSQL unavailable while records arrive', () => {
  it('retries, and every record lands once when it is back', async () => {
    const kinesis = createKinesisClient({ endpoint: runtime.kinesisEndpoint });
    const stream = runtime.streams[0]?.name as string;
    const symbols = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'DOGE-USD'];
    const tick = () =>
      symbols.map((symbol) => priceEvent({ symbol, base: symbol.split('-')[0] as string }));

    await publishPriceEvents(kinesis, stream, tick());
    await waitFor(counts, landed(5), {
      timeoutMs: 60_000,
      what: 'the first tick in both consumers',
    });

    await postgres.stop();
    const failedBefore = batches.filter((b) => b.outcome !== 'success').length;
    await publishPriceEvents(kinesis, stream, [...tick(), ...tick()]);
    // Let both consumers try and fail: the realtime one at once, the batch one after its window.
    await waitFor(
      async () => batches.filter((b) => b.outcome !== 'success').map((b) => b.function),
      (failed) =>
        failed.slice(failedBefore).includes('RealtimeConsumer') &&
        failed.slice(failedBefore).includes('BatchConsumer'),
      { timeoutMs: 60_000, what: 'failed deliveries from both consumers' },
    );
    postgres = await startPostgres();

    const after = await waitFor(counts, landed(15), {
      timeoutMs: 90_000,
      what: 'all 15 events in both consumers',
    });

    expect(after).toEqual({ realtime: { rows: 15, events: 15 }, batch: { rows: 15, events: 15 } });
    const retried = batches.filter((b) => b.attempt > 1 && b.outcome === 'success');
    expect(retried.length).toBeGreaterThan(0);
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    const { rows } = await client.query(
      `SELECT count(*)::int AS n FROM ${runtime.deadLetterTable}`,
    );
    await client.end();
    expect(rows[0].n).toBe(0);
  });
});
