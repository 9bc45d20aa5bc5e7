/**
 * `npm start`'s runtime on the synthesized stack: the real CDK synth, the
 * bundled functions from the cloud assembly, embedded PostgreSQL and
 * kinesis-local on their own ports, and a loopback stand-in for Coinbase.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.ts';
import { startCoinbaseStandIn } from '../../scripts/chaos/coinbase-stand-in.ts';
import { waitFor } from '../support/wait.ts';

const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'DOGE-USD'];

let runtime: LocalRuntime;
let pool: pg.Pool;
let standIn: Awaited<ReturnType<typeof startCoinbaseStandIn>>;
let workDir: string;

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
  runtime = await startLocalRuntime({
    cdkOut: path.join(workDir, 'cdk.out'),
    dataDir: path.join(workDir, 'data'),
    postgresPort: Number(process.env.PRICESTREAM_E2E_PG_PORT ?? 54349),
    kinesisPort: Number(process.env.PRICESTREAM_E2E_KINESIS_PORT ?? 4588),
    databaseUrl: undefined,
    kinesisEndpoint: undefined,
    env: {},
    functionEnv: { FetchPrices: { PRICE_SOURCE: 'coinbase', COINBASE_BASE_URL: standIn.baseUrl } },
  });
  pool = new pg.Pool({ connectionString: runtime.databaseUrl, max: 2 });
});

afterAll(async () => {
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
    // One tick of five symbols, through both consumers: the batch consumer waits its 15 s window.
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
