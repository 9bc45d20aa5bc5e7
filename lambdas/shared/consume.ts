import type { KinesisStreamRecord } from 'aws-lambda';
import type { Db } from './db.ts';
import { type PriceEvent, parsePriceEvent, ValidationError } from './price-event.ts';
import {
  type ConsumerName,
  insertRejected,
  insertSilverBatch,
  insertSilverRow,
  type RecordMeta,
  type RejectedRecord,
  type SilverRow,
} from './silver-store.ts';

export interface DecodedRecord {
  data: Buffer;
  meta: RecordMeta;
}

export function decodeRecord(record: KinesisStreamRecord, receivedAt: Date): DecodedRecord {
  const k = record.kinesis;
  return {
    data: Buffer.from(k.data, 'base64'),
    meta: {
      // eventID is "shardId-000000000000:<sequence number>"
      shardId: record.eventID.split(':')[0] ?? 'unknown',
      sequenceNumber: k.sequenceNumber,
      partitionKey: k.partitionKey,
      ingestedAt: new Date(Math.round(k.approximateArrivalTimestamp * 1000)),
      receivedAt,
    },
  };
}

/**
 * Sorts records into price rows and rejects; bad data is a reject, never an
 * error. "Now" for the future-time check is when the handler received the record.
 */
export function classify(records: DecodedRecord[]): {
  rows: SilverRow[];
  rejected: RejectedRecord[];
} {
  const rows: SilverRow[] = [];
  const rejected: RejectedRecord[] = [];
  for (const { data, meta } of records) {
    try {
      rows.push({ event: parsePriceEvent(data, meta.receivedAt.getTime()), meta });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      rejected.push({ meta, payload: data, reason: error.message });
    }
  }
  return { rows, rejected };
}

export interface ConsumeResult {
  written: number;
  duplicates: number;
  rejected: number;
}

/** The counts, plus what the metrics and the Timestream mirror need. */
export interface ConsumeOutcome extends ConsumeResult {
  /** End-to-end latency (processed_at − fetched_at, ms) of each row written. */
  latenciesMs: number[];
}

/** The per-record path: one record, one statement. */
export async function consumeOne(
  db: Db,
  consumer: ConsumerName,
  record: DecodedRecord,
): Promise<ConsumeOutcome & { writtenEvent: PriceEvent | undefined }> {
  const { rows, rejected } = classify([record]);
  const row = rows[0];
  if (row) {
    const written = await insertSilverRow(db, consumer, row);
    return {
      written: written ? 1 : 0,
      duplicates: written ? 0 : 1,
      rejected: 0,
      latenciesMs: written ? [written.latencyMs] : [],
      writtenEvent: written ? row.event : undefined,
    };
  }
  await insertRejected(db, consumer, rejected);
  return {
    written: 0,
    duplicates: 0,
    rejected: rejected.length,
    latenciesMs: [],
    writtenEvent: undefined,
  };
}

/** The batched path: the whole batch, rejects included, in one statement. */
export async function consumeBatch(
  db: Db,
  consumer: ConsumerName,
  records: DecodedRecord[],
): Promise<ConsumeOutcome> {
  const { rows, rejected } = classify(records);
  const counts = await insertSilverBatch(db, consumer, rows, rejected);
  return {
    written: counts.written,
    duplicates: rows.length - counts.written,
    rejected: rejected.length,
    latenciesMs: counts.latenciesMs,
  };
}
