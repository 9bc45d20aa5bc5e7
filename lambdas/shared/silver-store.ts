import type { Db } from './db.ts';
import type { PriceEvent } from './price-event.ts';
import { readSql } from './sql.ts';

export type ConsumerName = 'realtime' | 'batch';

/** Where a record came from and when it reached each stage. */
export interface RecordMeta {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  /** Kinesis approximate arrival. */
  ingestedAt: Date;
  /** Handler start. */
  receivedAt: Date;
}

export interface SilverRow {
  event: PriceEvent;
  meta: RecordMeta;
}

export interface RejectedRecord {
  meta: RecordMeta;
  payload: Buffer;
  reason: string;
}

/** What the database said about a row it wrote. */
export interface WrittenRow {
  /** The database's clock at insert. */
  processedAt: Date;
  /** processed_at − fetched_at, ms (computed by the database, to the microsecond). */
  latencyMs: number;
}

/** One INSERT per record (the per-record consumer). Returns undefined for a duplicate. */
export async function insertSilverRow(
  db: Db,
  consumer: ConsumerName,
  row: SilverRow,
): Promise<WrittenRow | undefined> {
  const { event: e, meta: m } = row;
  const result = await db.query<{ processed_at: Date; latency_ms: number }>(
    readSql('queries/insert_silver_row.sql'),
    [
      consumer,
      e.eventId,
      e.symbol,
      e.base,
      e.quote,
      e.source,
      e.price,
      e.bid,
      e.ask,
      e.volume24h,
      e.tradeId,
      e.eventTime,
      e.fetchedAt,
      m.ingestedAt,
      m.receivedAt,
      m.shardId,
      m.sequenceNumber,
    ],
  );
  const written = result.rows[0];
  return written ? { processedAt: written.processed_at, latencyMs: written.latency_ms } : undefined;
}

export async function insertRejected(
  db: Db,
  consumer: ConsumerName,
  rejected: RejectedRecord[],
): Promise<number> {
  if (rejected.length === 0) return 0;
  const result = await db.query(readSql('queries/insert_rejected.sql'), [
    consumer,
    ...rejectedColumns(rejected),
  ]);
  return result.rowCount ?? 0;
}

/**
 * A whole batch, rejected records included, in one statement (the batched
 * consumer). Duplicates, within the batch or with earlier deliveries, are
 * skipped by the unique key.
 */
export async function insertSilverBatch(
  db: Db,
  consumer: ConsumerName,
  rows: SilverRow[],
  rejected: RejectedRecord[],
): Promise<{ written: number; rejected: number; latenciesMs: number[] }> {
  const col = <T>(pick: (row: SilverRow) => T) => rows.map(pick);
  const result = await db.query<{ written: number; rejected: number; latencies_ms: number[] }>(
    readSql('queries/insert_silver_batch.sql'),
    [
      consumer,
      ...rejectedColumns(rejected),
      col((r) => r.event.eventId),
      col((r) => r.event.symbol),
      col((r) => r.event.base),
      col((r) => r.event.quote),
      col((r) => r.event.source),
      col((r) => r.event.price),
      col((r) => r.event.bid),
      col((r) => r.event.ask),
      col((r) => r.event.volume24h),
      col((r) => r.event.tradeId),
      col((r) => r.event.eventTime),
      col((r) => r.event.fetchedAt),
      col((r) => r.meta.ingestedAt),
      col((r) => r.meta.receivedAt),
      col((r) => r.meta.shardId),
      col((r) => r.meta.sequenceNumber),
    ],
  );
  const counts = result.rows[0];
  return {
    written: counts?.written ?? 0,
    rejected: counts?.rejected ?? 0,
    latenciesMs: counts?.latencies_ms ?? [],
  };
}

function rejectedColumns(rejected: RejectedRecord[]): unknown[] {
  return [
    rejected.map((r) => r.meta.shardId),
    rejected.map((r) => r.meta.sequenceNumber),
    rejected.map((r) => r.meta.partitionKey),
    rejected.map((r) => r.payload),
    rejected.map((r) => r.reason),
    rejected.map((r) => r.meta.ingestedAt),
    rejected.map((r) => r.meta.receivedAt),
  ];
}
