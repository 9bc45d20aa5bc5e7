import type pg from 'pg';

/** Silver rows with known timings for the compare tests, inserted directly. */

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;

export interface Row {
  consumer: 'realtime' | 'batch';
  eventId: string;
  symbol?: string;
  price?: number;
  /** processed_at, in ms after base. */
  processedAt: number;
  /** The three latency parts, in ms. */
  parts: readonly [
    fetchedToIngested: number,
    ingestedToReceived: number,
    receivedToProcessed: number,
  ];
}

export async function insertRows(pool: pg.Pool, base: Date, rows: Row[]): Promise<void> {
  for (const row of rows) {
    const processed = base.getTime() + row.processedAt;
    const received = processed - row.parts[2];
    const ingested = received - row.parts[1];
    const fetched = ingested - row.parts[0];
    const symbol = row.symbol ?? 'BTC-USD';
    await pool.query(
      `INSERT INTO silver.prices (consumer, event_id, symbol, base, quote, source, price,
         event_time, fetched_at, ingested_at, received_at, processed_at, shard_id, sequence_number)
       VALUES ($1, $2, $3, $4, 'USD', 'sim', $5, $6, $6, $7, $8, $9, 'shardId-000000000000', $2)`,
      [
        row.consumer,
        row.eventId,
        symbol,
        symbol.split('-')[0],
        row.price ?? 100,
        new Date(fetched),
        new Date(ingested),
        new Date(received),
        new Date(processed),
      ],
    );
  }
}

/**
 * realtime: events e1..e10, e<i> processed at i × 20 s with latency i × 100 ms
 *   (parts 10·i, 80·i, 10·i), BTC-USD at 1000 + i for odd i, ETH-USD at 10 + i for even i.
 * batch: e1..e5 written at 150 s and e6..e8, b1, b2 at 210 s, with latencies
 *   1000..10000 ms (parts 50, latency − 100, 50); e9 written at 310 s, after the
 *   window; e10 never. b1, b2 (SOL-USD at 5 and 7) only batch has.
 * outside the window: realtime rows at −1 ms and at exactly 5 min.
 */
export function knownRows(): Row[] {
  const rows: Row[] = [];
  for (let i = 1; i <= 10; i++) {
    rows.push({
      consumer: 'realtime',
      eventId: `e${i}`,
      symbol: i % 2 ? 'BTC-USD' : 'ETH-USD',
      price: i % 2 ? 1000 + i : 10 + i,
      processedAt: i * 20 * SECOND,
      parts: [10 * i, 80 * i, 10 * i],
    });
  }
  const batch = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'b1', 'b2'];
  batch.forEach((eventId, index) => {
    const i = index + 1;
    const fromRealtime = rows.find((r) => r.eventId === eventId);
    rows.push({
      consumer: 'batch',
      eventId,
      symbol: fromRealtime?.symbol ?? 'SOL-USD',
      price: fromRealtime?.price ?? (eventId === 'b1' ? 5 : 7),
      processedAt: (i <= 5 ? 150 : 210) * SECOND,
      parts: [50, 1000 * i - 100, 50],
    });
  });
  rows.push(
    { consumer: 'batch', eventId: 'e9', processedAt: 310 * SECOND, parts: [50, 900, 50] },
    { consumer: 'realtime', eventId: 'before', processedAt: -1, parts: [1, 1, 1] },
    { consumer: 'realtime', eventId: 'at-until', processedAt: 5 * MINUTE, parts: [1, 1, 1] },
  );
  return rows;
}

/** A whole minute 10 minutes before the database's now(): the known rows' base. */
export async function baseMinute(pool: pg.Pool): Promise<Date> {
  const { rows } = await pool.query<{ base: Date }>(
    "SELECT date_trunc('minute', now()) - interval '10 minutes' AS base",
  );
  return rows[0]?.base as Date;
}
