import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RollupStep, runRollup, runRollups } from '../../lambdas/shared/rollup.ts';
import { migratedDatabase } from '../support/migrated-db.ts';
import {
  dumpGold,
  expectedGold,
  expectGoldToMatch,
  generateSilver,
  insertSilver,
  readGold,
  type SilverSpec,
  START,
  TEN_MINUTES,
} from './rollup-model.ts';

/** The rollup's advisory lock: (727274002, 10) for 10m, (727274002, 60) for 1h. */
const LOCK = { classid: 727274002, tenMinutes: 10 };

let pool: pg.Pool;
let silver: SilverSpec[];

beforeEach(async () => {
  ({ pool } = await migratedDatabase('rollup_faults'));
  silver = generateSilver(7);
  await insertSilver(pool, silver);
});
afterEach(async () => {
  await pool.end();
});

const state = async () =>
  (await pool.query('SELECT * FROM gold.rollup_state ORDER BY granularity')).rows;
const snapshot = async () => ({
  tenMinutes: await dumpGold(pool, 'gold.prices_10m'),
  hourly: await dumpGold(pool, 'gold.prices_1h'),
  state: await state(),
});

/** A late row of the source consumer: old event time, processed now. */
function lateRow(n: number): SilverSpec {
  const eventTime = new Date(START + 30 * 60_000 + n * 1_000);
  return {
    consumer: 'realtime',
    eventId: `late:${n}`,
    symbol: 'BTC-USD',
    price: 90_000 + n,
    volume24h: 1,
    eventTime,
    fetchedAt: eventTime,
  };
}

async function expectGoldFor(rows: SilverSpec[]) {
  expectGoldToMatch(
    await readGold(pool, 'gold.prices_10m'),
    expectedGold(rows, 'realtime', TEN_MINUTES),
  );
}

/** Polls until `pid`-less backends wait for the 10m rollup lock; returns their pids. */
async function waitersOnRollupLock(count: number): Promise<number[]> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await pool.query<{ pid: number }>(
      `SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2
          AND NOT granted`,
      [LOCK.classid, LOCK.tenMinutes],
    );
    if (rows.length >= count) return rows.map((r) => r.pid);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`expected ${count} rollups waiting for the lock`);
}

describe('a rollup that fails', () => {
  it.each(['touched', 'upserted', 'changed', 'saved'] as RollupStep[])(
    'when its connection is killed after "%s", leaves gold and the mark as they were',
    async (at) => {
      await runRollups(pool, ['10m', '1h']);
      const late = [lateRow(1), lateRow(2)];
      await insertSilver(pool, late);
      const before = await snapshot();
      const killer = new pg.Client({ connectionString: pool.options.connectionString });
      await killer.connect();

      const run = runRollup(pool, {
        granularity: '10m',
        onStep: async (step, pid) => {
          // Wait until the backend is gone, so the next statement surely fails.
          if (step === at) await killer.query('SELECT pg_terminate_backend($1, 5000)', [pid]);
        },
      });

      await expect(run).rejects.toThrow(/terminat|connection/);
      await killer.end();
      expect(await snapshot()).toEqual(before);
      // The next run redoes the work.
      await runRollup(pool, { granularity: '10m' });
      await expectGoldFor([...silver, ...late]);
    },
  );

  it('while it waits for the lock inside its transaction, leaves everything as it was', async () => {
    await runRollups(pool, ['10m']);
    await insertSilver(pool, [lateRow(3)]);
    const before = await snapshot();
    const holder = await pool.connect();
    await holder.query('SELECT pg_advisory_lock($1, $2)', [LOCK.classid, LOCK.tenMinutes]);

    const failed = expect(runRollup(pool, { granularity: '10m' })).rejects.toThrow(/terminat/);
    const [pid] = await waitersOnRollupLock(1);
    await pool.query('SELECT pg_terminate_backend($1, 5000)', [pid]);

    await failed;
    await holder.query('SELECT pg_advisory_unlock($1, $2)', [LOCK.classid, LOCK.tenMinutes]);
    holder.release();
    expect(await snapshot()).toEqual(before);
  });

  it('cannot reach the database: it says so, and nothing changes', async () => {
    const dead = new pg.Pool({
      connectionString: 'postgres://postgres:postgres@127.0.0.1:9/none',
      connectionTimeoutMillis: 500,
    });
    dead.on('error', () => {});

    await expect(runRollup(dead, { granularity: '1h' })).rejects.toThrow(/ECONNREFUSED/);
    await dead.end();
  });
});

describe('two rollups at once', () => {
  it('queue up on the lock and give the result of one', async () => {
    const holder = await pool.connect();
    await holder.query('SELECT pg_advisory_lock($1, $2)', [LOCK.classid, LOCK.tenMinutes]);

    const runs = [runRollup(pool, { granularity: '10m' }), runRollup(pool, { granularity: '10m' })];
    await waitersOnRollupLock(2);
    await holder.query('SELECT pg_advisory_unlock($1, $2)', [LOCK.classid, LOCK.tenMinutes]);
    holder.release();
    const [first, second] = await Promise.all(runs);

    await expectGoldFor(silver);
    const expected = expectedGold(silver, 'realtime', TEN_MINUTES).length;
    expect((first?.inserted ?? 0) + (second?.inserted ?? 0)).toBe(expected);
    expect([first?.mode, second?.mode].sort()).toEqual(['incremental', 'rebuild']);
  });

  it('with rows arriving in between still end exact', async () => {
    const late = Array.from({ length: 20 }, (_, i) => lateRow(10 + i));

    await Promise.all([
      runRollup(pool, { granularity: '10m' }),
      insertSilver(pool, late.slice(0, 10)),
      runRollup(pool, { granularity: '10m' }),
      insertSilver(pool, late.slice(10)),
      runRollup(pool, { granularity: '10m', backfill: {} }),
    ]);
    await runRollup(pool, { granularity: '10m' });

    await expectGoldFor([...silver, ...late]);
  });
});

describe('the high-water mark', () => {
  it('stays behind a consumer transaction that has not committed yet, so its rows are not skipped', async () => {
    await runRollups(pool, ['10m'], { overlapMs: 0 });
    const late = lateRow(100);
    const writer = await pool.connect();
    await writer.query('BEGIN');
    await insertSilver(writer, [late]);
    await new Promise((resolve) => setTimeout(resolve, 50));

    // No overlap: only the horizon protects the uncommitted row.
    const during = await runRollup(pool, { granularity: '10m', overlapMs: 0 });
    await writer.query('COMMIT');
    writer.release();
    const processedAt = (
      await pool.query<{ processed_at: Date }>(
        'SELECT processed_at FROM silver.prices WHERE event_id = $1',
        [late.eventId],
      )
    ).rows[0]?.processed_at as Date;
    await expectGoldFor(silver); // not seen yet
    const after = await runRollup(pool, { granularity: '10m', overlapMs: 0 });

    // A mark on the clock alone would be past processed_at, and the row lost for good.
    expect(new Date(during.highWater?.next ?? 0).getTime()).toBeLessThanOrEqual(
      processedAt.getTime(),
    );
    expect(after.inserted + after.updated).toBe(1);
    await expectGoldFor([...silver, late]);
  });

  it('is not held back by a long transaction that only reads silver', async () => {
    await runRollups(pool, ['10m'], { overlapMs: 0 });
    const reader = await pool.connect();
    await reader.query('BEGIN');
    await reader.query('SELECT count(*) FROM silver.prices');
    const readerStart = (await reader.query<{ now: Date }>('SELECT now()')).rows[0]?.now as Date;
    await new Promise((resolve) => setTimeout(resolve, 50));

    const result = await runRollup(pool, { granularity: '10m', overlapMs: 0 });
    await reader.query('COMMIT');
    reader.release();

    expect(new Date(result.highWater?.next ?? 0).getTime()).toBeGreaterThan(readerStart.getTime());
  });

  it('trails the clock by the overlap, so recent rows are read again, to no effect', async () => {
    const [first] = await runRollups(pool, ['10m'], { overlapMs: 120_000 });
    const now = (await pool.query<{ now: Date }>('SELECT now()')).rows[0]?.now as Date;

    expect(new Date(first?.highWater?.next ?? 0).getTime()).toBeLessThanOrEqual(
      now.getTime() - 120_000 + 1_000,
    );
    const [second] = await runRollups(pool, ['10m'], { overlapMs: 120_000 });
    expect(second).toMatchObject({ mode: 'incremental', inserted: 0, updated: 0, changed: 0 });
    expect(second?.recomputed).toBe(expectedGold(silver, 'realtime', TEN_MINUTES).length);
  });
});
