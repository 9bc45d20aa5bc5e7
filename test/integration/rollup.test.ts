import type { Context } from 'aws-lambda';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../lambdas/rollup/index.ts';
import { RollupRequestError, runRollup, runRollups } from '../../lambdas/shared/rollup.ts';
import { migratedDatabase } from '../support/migrated-db.ts';
import {
  dumpGold,
  expectedGold,
  expectGoldToMatch,
  generateSilver,
  HOUR,
  insertSilver,
  readGold,
  type SilverSpec,
  START,
  TEN_MINUTES,
} from './rollup-model.ts';

let pool: pg.Pool;
let silver: SilverSpec[];

beforeEach(async () => {
  ({ pool } = await migratedDatabase('rollup'));
  silver = generateSilver(20260301);
  await insertSilver(pool, silver);
});
afterEach(async () => {
  await pool.end();
});

const both = ['10m', '1h'] as const;
const highWater = async (granularity: string) =>
  (
    await pool.query<{ high_water: Date; source_consumer: string }>(
      'SELECT high_water, source_consumer FROM gold.rollup_state WHERE granularity = $1',
      [granularity],
    )
  ).rows[0];

async function expectGoldFor(rows: SilverSpec[], consumer: 'realtime' | 'batch' = 'realtime') {
  expectGoldToMatch(
    await readGold(pool, 'gold.prices_10m'),
    expectedGold(rows, consumer, TEN_MINUTES),
  );
  expectGoldToMatch(await readGold(pool, 'gold.prices_1h'), expectedGold(rows, consumer, HOUR));
}

describe('rollup', () => {
  it('builds every bucket of the realtime rows, exactly as computed independently', async () => {
    const results = await runRollups(pool, both);

    await expectGoldFor(silver);
    const expected10m = expectedGold(silver, 'realtime', TEN_MINUTES);
    expect(results[0]).toMatchObject({
      granularity: '10m',
      mode: 'rebuild',
      sourceConsumer: 'realtime',
      recomputed: expected10m.length,
      inserted: expected10m.length,
      updated: 0,
      deleted: 0,
    });
    // The data has what the model is about: gaps, ties, a lone row, both consumers.
    const gold = expectedGold(silver, 'realtime', TEN_MINUTES);
    expect(gold.some((r) => r.priceStddev === null && r.recordCount === 1)).toBe(true);
    expect(
      gold.some(
        (r) =>
          r.prevBucketStart !== null &&
          r.bucketStart.getTime() - r.prevBucketStart.getTime() > TEN_MINUTES,
      ),
    ).toBe(true);
    expect(silver.some((r) => r.consumer === 'batch')).toBe(true);
  });

  it('changes nothing when run again, updated_at included', async () => {
    await runRollups(pool, both);
    const before = [
      await dumpGold(pool, 'gold.prices_10m'),
      await dumpGold(pool, 'gold.prices_1h'),
    ];

    const again = await runRollups(pool, both);

    expect([
      await dumpGold(pool, 'gold.prices_10m'),
      await dumpGold(pool, 'gold.prices_1h'),
    ]).toEqual(before);
    for (const result of again) {
      expect(result.mode).toBe('incremental');
      // The rows just inserted are inside the overlap, so their buckets were recomputed, to no change.
      expect(result.recomputed).toBeGreaterThan(0);
      expect(result).toMatchObject({ inserted: 0, updated: 0, deleted: 0, changed: 0 });
    }
  });

  it('recomputes only the buckets touched since the high-water mark', async () => {
    await runRollups(pool, both, { overlapMs: 0 });
    const bucket = expectedGold(silver, 'realtime', TEN_MINUTES).find(
      (r) => r.symbol === 'BTC-USD' && r.recordCount > 1,
    );
    const late = lateRow('BTC-USD', (bucket?.bucketStart.getTime() ?? 0) + 5_000, 1);

    await insertSilver(pool, [late]);
    const [tenMinutes, hourly] = await runRollups(pool, both, { overlapMs: 0 });

    expect(tenMinutes).toMatchObject({ mode: 'incremental', recomputed: 1, updated: 1 });
    expect(hourly).toMatchObject({ mode: 'incremental', recomputed: 1, updated: 1 });
    await expectGoldFor([...silver, late]);
  });

  it('corrects a late row’s old bucket, and the change of the bucket after it, leaving the rest alone', async () => {
    await runRollups(pool, both);
    const before = await dumpGold(pool, 'gold.prices_10m');
    const expected = expectedGold(silver, 'realtime', TEN_MINUTES);
    const index = expected.findIndex(
      (r, i) =>
        r.symbol === 'ETH-USD' && r.recordCount > 10 && expected[i + 1]?.symbol === 'ETH-USD',
    );
    const target = expected[index] as (typeof expected)[number];
    const next = expected[index + 1];
    // The new last row of its bucket, at a price far from the rest: new close, high, average.
    const late = lateRow('ETH-USD', target.lastEventTime.getTime() + 1, target.high * 1.5);

    await insertSilver(pool, [late]);
    await runRollups(pool, both);

    await expectGoldFor([...silver, late]);
    const after = await dumpGold(pool, 'gold.prices_10m');
    const changed = after.filter((row, i) => JSON.stringify(row) !== JSON.stringify(before[i]));
    expect(
      changed.map(
        (r) =>
          `${(r as { symbol: string }).symbol} ${(r as { bucket_start: Date }).bucket_start.toISOString()}`,
      ),
    ).toEqual([
      `ETH-USD ${target.bucketStart.toISOString()}`,
      `ETH-USD ${next?.bucketStart.toISOString()}`,
    ]);
    const corrected = (await readGold(pool, 'gold.prices_10m')).find(
      (r) => r.symbol === 'ETH-USD' && r.bucketStart.getTime() === next?.bucketStart.getTime(),
    );
    expect(corrected?.prevClose).toBe(target.high * 1.5);
  });

  it('creates a bucket for a late row in a gap, and moves the next bucket’s change onto it', async () => {
    await runRollups(pool, both);
    const expected = expectedGold(silver, 'realtime', TEN_MINUTES);
    const afterGap = expected.find(
      (r, i) =>
        i > 0 &&
        r.prevBucketStart !== null &&
        r.bucketStart.getTime() - r.prevBucketStart.getTime() > TEN_MINUTES,
    ) as (typeof expected)[number];
    const gapBucket = afterGap.bucketStart.getTime() - TEN_MINUTES;
    const late = lateRow(afterGap.symbol, gapBucket + 30_000, afterGap.open * 0.99);

    await insertSilver(pool, [late]);
    const [tenMinutes] = await runRollups(pool, both);

    expect(tenMinutes).toMatchObject({ inserted: 1, changed: 2 });
    await expectGoldFor([...silver, late]);
    const rows = await readGold(pool, 'gold.prices_10m');
    const moved = rows.find(
      (r) =>
        r.symbol === afterGap.symbol && r.bucketStart.getTime() === afterGap.bucketStart.getTime(),
    );
    expect(moved?.prevBucketStart?.getTime()).toBe(gapBucket);
    expect(moved?.prevClose).toBe(late.price);
  });

  it('never counts the other consumer’s rows, and rebuilds from the batch consumer when told to', async () => {
    await runRollups(pool, both);

    const results = await runRollups(pool, both, { sourceConsumer: 'batch' });

    await expectGoldFor(silver, 'batch');
    expect(results.map((r) => r.mode)).toEqual(['rebuild', 'rebuild']);
    expect(await highWater('10m')).toMatchObject({ source_consumer: 'batch' });
    // Later runs keep the consumer the state names.
    const [next] = await runRollups(pool, ['10m']);
    expect(next).toMatchObject({ mode: 'incremental', sourceConsumer: 'batch' });
  });

  it('backfills a range: every bucket in it recomputed from silver, the rest and the mark left alone', async () => {
    await runRollups(pool, both);
    const mark = await highWater('10m');
    // Damage a value no other row derives from, everywhere.
    await pool.query('UPDATE gold.prices_10m SET total_volume_24h = -1, updated_at = now()');
    const from = new Date(START + HOUR + 5 * 60_000); // inside a bucket: widened to it
    const to = new Date(START + 2 * HOUR);

    const result = await runRollup(pool, { granularity: '10m', backfill: { from, to } });

    expect(result).toMatchObject({
      mode: 'backfill',
      range: {
        from: new Date(START + HOUR).toISOString(),
        to: new Date(START + 2 * HOUR).toISOString(),
      },
      highWater: null,
    });
    const rows = await readGold(pool, 'gold.prices_10m');
    const expected = expectedGold(silver, 'realtime', TEN_MINUTES);
    const inRange = (r: { bucketStart: Date }) =>
      r.bucketStart.getTime() >= START + HOUR && r.bucketStart.getTime() < START + 2 * HOUR;
    expectGoldToMatch(rows.filter(inRange), expected.filter(inRange));
    expect(rows.filter((r) => !inRange(r)).every((r) => r.totalVolume24h === -1)).toBe(true);
    expect(await highWater('10m')).toEqual(mark);
  });

  it('backfills a silver correction into its bucket and the change of the bucket after the range', async () => {
    await runRollups(pool, both);
    const expected = expectedGold(silver, 'realtime', TEN_MINUTES);
    const index = expected.findIndex((r, i) => expected[i + 1]?.symbol === r.symbol);
    const bucket = expected[index] as (typeof expected)[number];
    const closing = silver.find(
      (r) =>
        r.consumer === 'realtime' &&
        r.symbol === bucket.symbol &&
        r.eventTime.getTime() === bucket.lastEventTime.getTime() &&
        r.price === bucket.close,
    ) as SilverSpec;
    // Corrected in place: processed_at stays, so only a backfill sees it.
    await pool.query(
      "UPDATE silver.prices SET price = $1 WHERE consumer = 'realtime' AND event_id = $2",
      [bucket.high + 1, closing.eventId],
    );
    const corrected = silver.map((r) => (r === closing ? { ...r, price: bucket.high + 1 } : r));

    const [tenMinutes] = await runRollups(pool, ['10m'], {
      backfill: { from: bucket.bucketStart, to: bucket.bucketEnd },
    });

    // Every symbol's bucket in the range is recomputed; only the corrected one and the next change.
    expect(tenMinutes).toMatchObject({
      recomputed: expected.filter((r) => r.bucketStart.getTime() === bucket.bucketStart.getTime())
        .length,
      updated: 1,
      changed: 1,
    });
    expectGoldToMatch(
      await readGold(pool, 'gold.prices_10m'),
      expectedGold(corrected, 'realtime', TEN_MINUTES),
    );
  });

  it('removes buckets a backfill finds no source rows for', async () => {
    await runRollups(pool, both);
    const first = expectedGold(silver, 'realtime', TEN_MINUTES).find((r) => r.symbol === 'SOL-USD');
    const start = first?.bucketStart.getTime() ?? 0;
    const gone = silver.filter(
      (r) =>
        r.symbol === 'SOL-USD' &&
        r.eventTime.getTime() >= start &&
        r.eventTime.getTime() < start + TEN_MINUTES,
    );
    await pool.query('DELETE FROM silver.prices WHERE event_id = ANY($1)', [
      gone.map((r) => r.eventId),
    ]);

    const result = await runRollup(pool, {
      granularity: '10m',
      backfill: { from: new Date(start), to: new Date(start + HOUR) },
    });

    expect(result.deleted).toBe(1);
    const remaining = silver.filter((r) => !gone.includes(r));
    expectGoldToMatch(
      await readGold(pool, 'gold.prices_10m'),
      expectedGold(remaining, 'realtime', TEN_MINUTES),
    );
  });

  it('refuses an empty or reversed backfill range', async () => {
    const at = new Date(START);

    await expect(
      runRollup(pool, { granularity: '1h', backfill: { from: at, to: at } }),
    ).rejects.toThrow(RollupRequestError);
    await expect(
      runRollup(pool, { granularity: '1h', backfill: { from: new Date(Number.NaN) } }),
    ).rejects.toThrow(/not a valid time/);
  });
});

describe('views with the original report’s names', () => {
  beforeEach(async () => {
    await runRollups(pool, both);
  });

  it('answer queries written for gold_hourly_metrics, price change against the previous hour’s average', async () => {
    const { rows } = await pool.query(
      'SELECT symbol, avg_price, price_change_percent FROM gold_hourly_metrics ORDER BY hour_timestamp DESC, symbol LIMIT 5',
    );

    const expected = expectedGold(silver, 'realtime', HOUR)
      .sort(
        (a, b) =>
          b.bucketStart.getTime() - a.bucketStart.getTime() || a.symbol.localeCompare(b.symbol),
      )
      .slice(0, 5);
    expect(rows.map((r) => r.symbol)).toEqual(expected.map((r) => r.symbol));
    rows.forEach((row, i) => {
      const want = expected[i];
      expect(row.avg_price).toBeCloseTo(want?.avgPrice ?? Number.NaN, 6);
      expect(row.price_change_percent).toBeCloseTo(want?.avgChangePct ?? Number.NaN, 6);
    });
  });

  it('have the original columns, times as UTC timestamps without time zone', async () => {
    const columns = async (view: string) =>
      (
        await pool.query<{ column_name: string; data_type: string }>(
          `SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
          [view],
        )
      ).rows.map((c) => `${c.column_name}:${c.data_type}`);
    const silverColumns = [
      'id:bigint',
      'timestamp:bigint',
      'symbol:text',
      'base:text',
      'currency:text',
      'price:double precision',
      'volume_24h:double precision',
      'source:text',
      'iteration:integer',
      'processed_at:timestamp without time zone',
    ];

    expect(await columns('crypto_prices_flink')).toEqual(silverColumns);
    expect(await columns('crypto_prices_realtime')).toEqual(silverColumns);
    expect(await columns('gold_10min_metrics')).toEqual([
      'id:bigint',
      'window_start:timestamp without time zone',
      'window_end:timestamp without time zone',
      'symbol:text',
      'avg_price:double precision',
      'min_price:double precision',
      'max_price:double precision',
      'price_volatility:double precision',
      'total_volume:double precision',
      'avg_volume:double precision',
      'record_count:integer',
      'created_at:timestamp without time zone',
    ]);
    expect(await columns('gold_hourly_metrics')).toEqual([
      'id:bigint',
      'hour_timestamp:timestamp without time zone',
      'symbol:text',
      'avg_price:double precision',
      'min_price:double precision',
      'max_price:double precision',
      'opening_price:double precision',
      'closing_price:double precision',
      'price_change:double precision',
      'price_change_percent:double precision',
      'total_volume:double precision',
      'avg_volume:double precision',
      'record_count:integer',
      'created_at:timestamp without time zone',
    ]);
  });

  it('show each consumer’s rows under its original name, with fetch time and producer tick', async () => {
    const one = silver.find((r) => r.consumer === 'batch') as SilverSpec;
    const client = await pool.connect();
    // Another session time zone: the views' times must still be UTC wall times.
    await client.query("SET TIME ZONE 'Asia/Tokyo'");
    const read = async (view: string) =>
      (
        await client.query(
          `SELECT v.*, extract(epoch FROM v.processed_at) AS view_epoch,
                  extract(epoch FROM p.processed_at) AS instant_epoch
             FROM ${view} v JOIN silver.prices p USING (id)
            WHERE p.event_id = $1`,
          [one.eventId],
        )
      ).rows;

    const [batch] = await read('crypto_prices_realtime');
    const realtime = await read('crypto_prices_flink');
    client.release(true);

    const fetchedSeconds = Math.floor(one.fetchedAt.getTime() / 1000);
    expect(batch).toMatchObject({
      timestamp: String(fetchedSeconds),
      symbol: one.symbol,
      base: one.symbol.split('-')[0],
      currency: 'USD',
      price: one.price,
      volume_24h: one.volume24h,
      source: 'sim',
      iteration: Math.floor(fetchedSeconds / 10),
    });
    expect(batch.view_epoch).toBe(batch.instant_epoch);
    const inRealtime = silver.some((r) => r.consumer === 'realtime' && r.eventId === one.eventId);
    expect(realtime).toHaveLength(inRealtime ? 1 : 0);
    expect(realtime[0]?.id).not.toBe(batch.id);
  });

  it('map gold_10min_metrics onto the 10-minute table', async () => {
    const { rows } = await pool.query(
      `SELECT m.*, g.low, g.high, g.price_stddev, g.total_volume_24h, g.avg_volume_24h,
              extract(epoch FROM m.window_start) AS start_epoch,
              extract(epoch FROM g.bucket_start) AS bucket_epoch,
              extract(epoch FROM m.window_end) - extract(epoch FROM m.window_start) AS width
         FROM gold_10min_metrics m JOIN gold.prices_10m g USING (id)
        ORDER BY m.window_start, m.symbol LIMIT 20`,
    );

    expect(rows).toHaveLength(20);
    for (const row of rows) {
      expect(row.min_price).toBe(row.low);
      expect(row.max_price).toBe(row.high);
      expect(row.price_volatility).toBe(row.price_stddev);
      expect(row.total_volume).toBe(row.total_volume_24h);
      expect(row.avg_volume).toBe(row.avg_volume_24h);
      expect(row.start_epoch).toBe(row.bucket_epoch);
      expect(row.width).toBe('600.000000');
    }
  });
});

describe('rollup handler', () => {
  const context = { getRemainingTimeInMillis: () => 300_000 } as Context;
  const handler = () => createHandler({ sourceConsumer: 'realtime' }, { db: async () => pool });

  it('rolls up the granularity its schedule names', async () => {
    const result = await handler()({ granularity: '1h' }, context);

    expect(result).toMatchObject({ granularity: '1h', sourceConsumer: 'realtime' });
    expectGoldToMatch(
      await readGold(pool, 'gold.prices_1h'),
      expectedGold(silver, 'realtime', HOUR),
    );
    expect(await readGold(pool, 'gold.prices_10m')).toEqual([]);
  });

  it.each([
    [{ granularity: '5m' }, /granularity must be one of 10m, 1h, got "5m"/],
    [{}, /granularity must be one of 10m, 1h, got undefined/],
    [null, /rollup event must be an object/],
    ['10m', /rollup event must be an object/],
  ])('refuses the event %j with a clear error', async (event, message) => {
    await expect(handler()(event, context)).rejects.toThrow(message);
    await expect(handler()(event, context)).rejects.toBeInstanceOf(RollupRequestError);
  });
});

/** A row of the source consumer with an old event time, processed now. */
function lateRow(symbol: string, eventTimeMs: number, price: number): SilverSpec {
  return {
    consumer: 'realtime',
    eventId: `late:${symbol}:${eventTimeMs}:${price}`,
    symbol,
    price,
    volume24h: 42,
    eventTime: new Date(eventTimeMs),
    fetchedAt: new Date(eventTimeMs + 50),
  };
}
