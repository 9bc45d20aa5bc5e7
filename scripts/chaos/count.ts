/**
 * What the fault suite counts: what the stream holds (read back from every
 * shard, closed ones too), and what each consumer stored, rejected and
 * dead-lettered.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import type pg from 'pg';
import { listShards } from '../../local/kinesis/streams.ts';
import { CHAOS_PREFIX, POISON_MARK } from './producer.ts';

export interface StreamContents {
  /** Valid chaos event ids on the stream. */
  valid: Set<string>;
  /** Poison numbers, with how many records carry each (a re-sent put can land twice). */
  poison: Map<number, number>;
  records: number;
}

/** Every record of the stream, from TRIM_HORIZON of each shard to its end or its latest record. */
export async function readStream(
  kinesis: KinesisClient,
  streamName: string,
): Promise<StreamContents> {
  const shards = await listShards(kinesis, streamName);
  const contents: StreamContents = { valid: new Set(), poison: new Map(), records: 0 };
  for (const shard of shards) {
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
    ).ShardIterator;
    while (iterator) {
      const page = await kinesis.send(
        // Pages of 2,000: kinesis-local's time per page grows with its size.
        new GetRecordsCommand({ ShardIterator: iterator, Limit: 2_000 }),
      );
      for (const record of page.Records ?? []) {
        contents.records++;
        const text = Buffer.from(record.Data ?? new Uint8Array()).toString('utf8');
        const poison = new RegExp(`${POISON_MARK}(\\d+)`).exec(text);
        if (poison) {
          const n = Number(poison[1]);
          contents.poison.set(n, (contents.poison.get(n) ?? 0) + 1);
          continue;
        }
        const id = /"eventId":"([^"]+)"/.exec(text)?.[1];
        if (id?.startsWith(CHAOS_PREFIX)) contents.valid.add(id);
      }
      // An open shard ends the read when it has nothing more; a closed one when it says so.
      if ((page.Records?.length ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return contents;
}

export interface ConsumerCounts {
  /** Chaos event ids stored (distinct), and rows in all. */
  storedIds: Set<string>;
  rows: number;
  /** Rejections per poison number. */
  rejected: Map<number, number>;
  deadLetters: number;
  deadLetteredRecords: number;
  redriven: number;
  redrivenRecords: number;
}

export type Consumer = 'realtime' | 'batch';
export const CONSUMERS: readonly Consumer[] = ['realtime', 'batch'];

/** The function behind each consumer, as its name shows. */
const FUNCTION_OF: Record<Consumer, RegExp> = {
  realtime: /RealtimeConsumer/,
  batch: /BatchConsumer/,
};

export async function countConsumers(
  db: Pick<pg.Pool, 'query'>,
): Promise<Record<Consumer, ConsumerCounts>> {
  const [stored, rejected, dead] = await Promise.all([
    db.query<{ consumer: Consumer; event_id: string; n: number }>(
      `SELECT consumer, event_id, count(*)::int AS n FROM silver.prices
       WHERE event_id LIKE $1 GROUP BY consumer, event_id`,
      [`${CHAOS_PREFIX}%`],
    ),
    db.query<{ consumer: Consumer; poison: string; n: number }>(
      `SELECT consumer, (regexp_match(convert_from(payload, 'UTF8'), $1))[1] AS poison, count(*)::int AS n
       FROM silver.rejected_events
       WHERE position(convert_to($2, 'UTF8') IN payload) > 0
       GROUP BY 1, 2`,
      [`${POISON_MARK}(\\d+)`, POISON_MARK],
    ),
    db
      .query<{
        function_name: string;
        letters: number;
        records: number;
        redriven: number;
        redriven_records: number;
      }>(
        `SELECT function_name, count(*)::int AS letters, sum(batch_size)::int AS records,
              count(*) FILTER (WHERE redriven_at IS NOT NULL)::int AS redriven,
              coalesce(sum(batch_size) FILTER (WHERE redriven_at IS NOT NULL), 0)::int AS redriven_records
       FROM local_runtime.dead_letters GROUP BY function_name`,
      )
      .catch(() => ({ rows: [] })),
  ]);
  const counts = {} as Record<Consumer, ConsumerCounts>;
  for (const consumer of CONSUMERS) {
    const letters = dead.rows.filter((r) => FUNCTION_OF[consumer].test(r.function_name));
    counts[consumer] = {
      storedIds: new Set(stored.rows.filter((r) => r.consumer === consumer).map((r) => r.event_id)),
      rows: stored.rows.filter((r) => r.consumer === consumer).reduce((n, r) => n + r.n, 0),
      rejected: new Map(
        rejected.rows.filter((r) => r.consumer === consumer).map((r) => [Number(r.poison), r.n]),
      ),
      deadLetters: letters.reduce((n, r) => n + r.letters, 0),
      deadLetteredRecords: letters.reduce((n, r) => n + r.records, 0),
      redriven: letters.reduce((n, r) => n + r.redriven, 0),
      redrivenRecords: letters.reduce((n, r) => n + r.redriven_records, 0),
    };
  }
  return counts;
}

export interface ConsumerReport {
  consumer: Consumer;
  /** Valid events acknowledged by Kinesis. */
  produced: number;
  /**
   * Of those, missing from the stream when read back and not stored by this
   * consumer: kinesis-local lost them before it got them, not the pipeline.
   */
  droppedByEmulator: number;
  stored: number;
  lost: number;
  duplicated: number;
  poisonProduced: number;
  poisonRejected: number;
  /** Poison records not rejected exactly as often as the stream holds them. */
  poisonMiscounted: number;
  deadLetters: number;
  deadLetteredRecords: number;
  redriven: number;
  redrivenRecords: number;
  /** Seconds from the end of production until every event was stored or rejected. */
  drainSeconds: number | null;
}

/** The per-consumer report, against what was produced and what the stream holds. */
export function compareCounts(
  consumer: Consumer,
  produced: { valid: Set<string>; poison: Set<number> },
  stream: StreamContents,
  counts: ConsumerCounts,
  drainSeconds: number | null,
): ConsumerReport {
  const expected = [...produced.valid].filter((id) => stream.valid.has(id));
  const lost = expected.filter((id) => !counts.storedIds.has(id)).length;
  let poisonMiscounted = 0;
  for (const n of produced.poison) {
    const onStream = stream.poison.get(n) ?? 0;
    // One the stream no longer holds (kinesis-local lost it, e.g. killed
    // before it saved) may have been rejected before it was lost, or not:
    // there is nothing left to count it against.
    if (onStream === 0) continue;
    if ((counts.rejected.get(n) ?? 0) !== onStream) poisonMiscounted++;
  }
  return {
    consumer,
    produced: produced.valid.size,
    // Lost by kinesis-local before this consumer stored it; one it stored
    // before kinesis-local lost it counts as stored.
    droppedByEmulator: [...produced.valid].filter(
      (id) => !stream.valid.has(id) && !counts.storedIds.has(id),
    ).length,
    stored: [...counts.storedIds].filter((id) => produced.valid.has(id)).length,
    lost,
    duplicated: counts.rows - counts.storedIds.size,
    poisonProduced: produced.poison.size,
    poisonRejected: [...counts.rejected.values()].reduce((a, b) => a + b, 0),
    poisonMiscounted,
    deadLetters: counts.deadLetters,
    deadLetteredRecords: counts.deadLetteredRecords,
    redriven: counts.redriven,
    redrivenRecords: counts.redrivenRecords,
    drainSeconds,
  };
}

/** Whether a consumer has everything the stream holds: every event stored, every poison rejected. */
export function drained(stream: StreamContents, counts: ConsumerCounts): boolean {
  for (const id of stream.valid) if (!counts.storedIds.has(id)) return false;
  for (const [n, times] of stream.poison) if ((counts.rejected.get(n) ?? 0) < times) return false;
  return true;
}
