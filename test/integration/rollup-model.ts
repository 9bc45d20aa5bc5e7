/**
 * For the rollup tests: a seeded generator of silver rows, written straight
 * into silver.prices, and an independent model of what gold must hold,
 * computed here in TypeScript (not with the rollup's SQL).
 */
import type pg from 'pg';
import { expect } from 'vitest';

export type Consumer = 'realtime' | 'batch';

export interface SilverSpec {
  consumer: Consumer;
  eventId: string;
  symbol: string;
  price: number;
  volume24h: number | null;
  eventTime: Date;
  fetchedAt: Date;
}

/** mulberry32: small, seeded, good enough to shuffle and jitter test data. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const START = Date.UTC(2026, 2, 1, 0, 0, 0);
const MINUTE = 60_000;
export const TEN_MINUTES = 10 * MINUTE;
export const HOUR = 60 * MINUTE;

const MARKET: Record<string, number> = { 'BTC-USD': 86_000, 'ETH-USD': 2_950, 'SOL-USD': 140 };

/**
 * About five hours of ticks every ~10 s for three symbols, with what the
 * rollup must cope with: jittered (and so out-of-order) event times, equal
 * event times with different prices, missing volumes, empty 10-minute
 * buckets, a whole empty hour for one symbol, a bucket with a single row, and
 * both consumers holding mostly the same events (same event ids) but each
 * missing some. Returned in a shuffled order, as the inserts will be.
 */
export function generateSilver(seed: number): SilverSpec[] {
  const random = seeded(seed);
  const events: Omit<SilverSpec, 'consumer'>[] = [];
  for (const [symbol, start] of Object.entries(MARKET)) {
    let price = start;
    let n = 0;
    for (let bucket = START; bucket < START + 5 * HOUR; bucket += TEN_MINUTES) {
      const hour = Math.floor((bucket - START) / HOUR);
      if (symbol === 'SOL-USD' && hour === 2) continue; // an empty hour
      if (random() < 0.12) continue; // an empty 10-minute bucket
      const single = symbol === 'ETH-USD' && bucket === START + 3 * TEN_MINUTES;
      for (let tick = 0; tick < (single ? 1 : 60); tick++) {
        price *= 1 + (random() - 0.5) * 0.004;
        const jitter = Math.floor((random() - 0.5) * 6_000);
        const eventTime = new Date(
          Math.min(bucket + TEN_MINUTES - 1, Math.max(bucket, bucket + tick * 10_000 + jitter)),
        );
        const volume24h = random() < 0.1 ? null : Math.round(random() * 1e6) / 100;
        const base = {
          symbol,
          volume24h,
          eventTime,
          fetchedAt: new Date(eventTime.getTime() + 80),
        };
        events.push({ ...base, eventId: `sim:${symbol}:${n++}`, price: round(price) });
        if (random() < 0.03) {
          // Another trade at the same instant: the tie is broken by price.
          events.push({ ...base, eventId: `sim:${symbol}:${n++}`, price: round(price * 1.0003) });
        }
      }
    }
  }
  const rows: SilverSpec[] = [];
  for (const event of events) {
    if (random() < 0.97) rows.push({ ...event, consumer: 'realtime' });
    if (random() < 0.9) rows.push({ ...event, consumer: 'batch' });
  }
  return shuffle(rows, random);
}

const round = (price: number) => Math.round(price * 1e6) / 1e6;

export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Straight into silver.prices, one statement; processed_at is the database clock. */
export async function insertSilver(db: Pick<pg.Pool, 'query'>, rows: SilverSpec[]): Promise<void> {
  const col = <T>(pick: (row: SilverSpec) => T) => rows.map(pick);
  await db.query(
    `INSERT INTO silver.prices (
       consumer, event_id, symbol, base, quote, source, price, volume_24h, event_time,
       fetched_at, ingested_at, received_at, shard_id, sequence_number)
     SELECT r.consumer, r.event_id, r.symbol, split_part(r.symbol, '-', 1), 'USD', 'sim', r.price,
            r.volume, r.event_time, r.fetched_at, r.fetched_at + interval '150 ms',
            r.fetched_at + interval '300 ms', 'shardId-000000000000', r.event_id
       FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[],
                   $6::timestamptz[], $7::timestamptz[])
            AS r(consumer, event_id, symbol, price, volume, event_time, fetched_at)`,
    [
      col((r) => r.consumer),
      col((r) => r.eventId),
      col((r) => r.symbol),
      col((r) => r.price),
      col((r) => r.volume24h),
      col((r) => r.eventTime.toISOString()),
      col((r) => r.fetchedAt.toISOString()),
    ],
  );
}

export interface GoldRow {
  symbol: string;
  bucketStart: Date;
  bucketEnd: Date;
  open: number;
  high: number;
  low: number;
  close: number;
  avgPrice: number;
  priceStddev: number | null;
  avgVolume24h: number | null;
  totalVolume24h: number | null;
  recordCount: number;
  firstEventTime: Date;
  lastEventTime: Date;
  prevBucketStart: Date | null;
  prevClose: number | null;
  prevAvgPrice: number | null;
  change: number | null;
  changePct: number | null;
  avgChange: number | null;
  avgChangePct: number | null;
}

/** What gold must hold for one consumer's rows and bucket width, computed independently. */
export function expectedGold(rows: SilverSpec[], consumer: Consumer, widthMs: number): GoldRow[] {
  const buckets = new Map<string, SilverSpec[]>();
  for (const row of rows) {
    if (row.consumer !== consumer) continue;
    const start = Math.floor(row.eventTime.getTime() / widthMs) * widthMs;
    const key = `${row.symbol}\u0000${start}`;
    const list = buckets.get(key) ?? [];
    list.push(row);
    buckets.set(key, list);
  }
  const gold: GoldRow[] = [];
  for (const [key, list] of buckets) {
    const [symbol, start] = key.split('\u0000') as [string, string];
    const sorted = [...list].sort(
      (a, b) =>
        a.eventTime.getTime() - b.eventTime.getTime() ||
        a.price - b.price ||
        (a.volume24h ?? Number.POSITIVE_INFINITY) - (b.volume24h ?? Number.POSITIVE_INFINITY),
    );
    const prices = sorted.map((r) => r.price);
    const n = prices.length;
    const mean = prices.reduce((s, p) => s + p, 0) / n;
    const variance = n > 1 ? prices.reduce((s, p) => s + (p - mean) ** 2, 0) / (n - 1) : null;
    const volumes = sorted.map((r) => r.volume24h).filter((v): v is number => v !== null);
    const total = volumes.length ? volumes.reduce((s, v) => s + v, 0) : null;
    const first = sorted[0] as SilverSpec;
    const last = sorted[n - 1] as SilverSpec;
    gold.push({
      symbol,
      bucketStart: new Date(Number(start)),
      bucketEnd: new Date(Number(start) + widthMs),
      open: first.price,
      high: Math.max(...prices),
      low: Math.min(...prices),
      close: last.price,
      avgPrice: mean,
      priceStddev: variance === null ? null : Math.sqrt(variance),
      avgVolume24h: total === null ? null : total / volumes.length,
      totalVolume24h: total,
      recordCount: n,
      firstEventTime: first.eventTime,
      lastEventTime: last.eventTime,
      prevBucketStart: null,
      prevClose: null,
      prevAvgPrice: null,
      change: null,
      changePct: null,
      avgChange: null,
      avgChangePct: null,
    });
  }
  gold.sort(
    (a, b) =>
      (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0) ||
      a.bucketStart.getTime() - b.bucketStart.getTime(),
  );
  // Change against the previous bucket of the symbol that exists.
  for (let i = 1; i < gold.length; i++) {
    const row = gold[i] as GoldRow;
    const prev = gold[i - 1] as GoldRow;
    if (prev.symbol !== row.symbol) continue;
    row.prevBucketStart = prev.bucketStart;
    row.prevClose = prev.close;
    row.prevAvgPrice = prev.avgPrice;
    row.change = row.close - prev.close;
    row.changePct = (100 * (row.close - prev.close)) / prev.close;
    row.avgChange = row.avgPrice - prev.avgPrice;
    row.avgChangePct = (100 * (row.avgPrice - prev.avgPrice)) / prev.avgPrice;
  }
  return gold;
}

export type Table = 'gold.prices_10m' | 'gold.prices_1h';

/** Every gold row, in the model's order, with the model's field names. */
export async function readGold(db: Pick<pg.Pool, 'query'>, table: Table): Promise<GoldRow[]> {
  const { rows } = await db.query(
    `SELECT symbol, bucket_start AS "bucketStart", bucket_end AS "bucketEnd", open, high, low,
            close, avg_price AS "avgPrice", price_stddev AS "priceStddev",
            avg_volume_24h AS "avgVolume24h", total_volume_24h AS "totalVolume24h",
            record_count AS "recordCount", first_event_time AS "firstEventTime",
            last_event_time AS "lastEventTime", prev_bucket_start AS "prevBucketStart",
            prev_close AS "prevClose", prev_avg_price AS "prevAvgPrice", change,
            change_pct AS "changePct", avg_change AS "avgChange", avg_change_pct AS "avgChangePct"
       FROM ${table} ORDER BY symbol COLLATE "C", bucket_start`,
  );
  return rows as GoldRow[];
}

/** Everything in a gold table, updated_at and ids included: for "nothing changed". */
export async function dumpGold(db: Pick<pg.Pool, 'query'>, table: Table): Promise<unknown[]> {
  const { rows } = await db.query(
    `SELECT * FROM ${table} ORDER BY symbol COLLATE "C", bucket_start`,
  );
  return rows;
}

const FLOATS = [
  'avgPrice',
  'priceStddev',
  'avgVolume24h',
  'totalVolume24h',
  'change',
  'changePct',
  'avgChange',
  'avgChangePct',
] as const;

/** Exact for prices, counts and times; floats computed by sums within a relative 1e-9. */
export function expectGoldToMatch(actual: GoldRow[], expected: GoldRow[]): void {
  expect(actual.map(keyOf)).toEqual(expected.map(keyOf));
  actual.forEach((row, i) => {
    const want = expected[i] as GoldRow;
    const where = keyOf(want);
    const exact = (r: GoldRow) => ({
      ...r,
      ...Object.fromEntries(FLOATS.map((f) => [f, r[f] === null ? null : 'number'])),
    });
    expect(exact(row), where).toEqual(exact(want));
    for (const field of FLOATS) {
      const a = row[field];
      const b = want[field];
      if (a === null || b === null) continue;
      const tolerance = 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
      expect(Math.abs(a - b), `${where} ${field}: ${a} vs ${b}`).toBeLessThanOrEqual(tolerance);
    }
  });
}

const keyOf = (row: GoldRow) => `${row.symbol} ${row.bucketStart.toISOString()}`;
