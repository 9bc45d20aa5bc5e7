/**
 * What an event source mapping does with one ordered run of records until
 * every one of them has either succeeded or been given up on: partial batch
 * responses, bisection on function errors, retries with backoff, record age
 * and the on-failure destination.
 */
import type { TimerClock } from '../../lambdas/shared/clock.ts';
import { Backoff, type BackoffOptions, sleep } from '../shared/backoff.ts';
import type { ShardRecord } from './kinesis-event.ts';

export interface RetryPolicy {
  /** -1: retry until the record expires. */
  maximumRetryAttempts: number;
  /** -1: no age limit (the stream's retention still applies). */
  maximumRecordAgeSeconds: number;
  /** The stream's retention, ms, which ends retries when nothing else does. */
  retentionMs: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
  backoff?: BackoffOptions;
}

export type InvokeOutcome =
  | { ok: true; response: unknown }
  | { ok: false; error: { name: string; message: string } };

export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

export interface GivenUp {
  condition: FailureCondition;
  /** Invocations made with (a superset of) these records. */
  approximateInvokeCount: number;
  lastOutcome: InvokeOutcome | undefined;
}

export interface LaneDeps {
  /** `attempt` counts deliveries of these records (or the batch they were split from), from 1. */
  invoke(records: readonly ShardRecord[], attempt: number): Promise<InvokeOutcome>;
  /** Records up to and including `record` are done. Absent when the caller checkpoints. */
  checkpoint?: (record: ShardRecord) => Promise<void>;
  /** Called with records the mapping gives up on, before it moves past them. */
  giveUp(records: readonly ShardRecord[], why: GivenUp): Promise<void>;
  signal: AbortSignal;
  /**
   * The mapping's clock: which records are too old (their arrival read on it,
   * see TimerClock.fromSystemTime), and what the backoff waits on.
   */
  clock: TimerClock;
}

interface Segment {
  records: ShardRecord[];
  /** Retries spent on these records; splitting a batch spends none, like Lambda. */
  retries: number;
  invokes: number;
  lastOutcome: InvokeOutcome | undefined;
}

/**
 * Processes `records` in order. Resolves when all are done (succeeded or
 * given up on); rejects with StoppedError when `deps.signal` aborts, leaving
 * the rest for the next start (they are after the last checkpoint).
 */
export async function processLane(
  records: readonly ShardRecord[],
  policy: RetryPolicy,
  deps: LaneDeps,
): Promise<void> {
  const { clock } = deps;
  const backoff = new Backoff(policy.backoff);
  const queue: Segment[] = [
    { records: [...records], retries: 0, invokes: 0, lastOutcome: undefined },
  ];
  const maxAgeMs =
    policy.maximumRecordAgeSeconds >= 0
      ? policy.maximumRecordAgeSeconds * 1000
      : policy.retentionMs;
  const expired = (record: ShardRecord) =>
    clock.now() - clock.fromSystemTime(record.approximateArrivalTimestamp.getTime()) > maxAgeMs;

  const finish = async (segment: Segment) => {
    queue.shift();
    const last = segment.records.at(-1);
    if (last) await deps.checkpoint?.(last);
  };
  const giveUp = async (segment: Segment, condition: FailureCondition) => {
    await deps.giveUp(segment.records, {
      condition,
      approximateInvokeCount: segment.invokes,
      lastOutcome: segment.lastOutcome,
    });
    await finish(segment);
  };

  while (queue.length > 0) {
    const segment = queue[0] as Segment;
    if (segment.records.length === 0) {
      queue.shift();
      continue;
    }
    // Records already too old are not delivered at all; on a retry the whole
    // batch goes, as Lambda sends the batch it was retrying.
    const lastExpired = segment.records.findLastIndex(expired);
    if (lastExpired >= 0) {
      if (segment.invokes > 0) {
        await giveUp(segment, 'RecordAgeExceeded');
        continue;
      }
      const old: Segment = { ...segment, records: segment.records.slice(0, lastExpired + 1) };
      segment.records = segment.records.slice(lastExpired + 1);
      queue.unshift(old);
      await giveUp(old, 'RecordAgeExceeded');
      continue;
    }

    segment.invokes++;
    const outcome = await deps.invoke(segment.records, segment.invokes);
    segment.lastOutcome = outcome;

    const failedAt = outcome.ok
      ? policy.reportBatchItemFailures
        ? lowestFailedIndex(outcome.response, segment.records)
        : 'none'
      : 'invalid';

    if (failedAt === 'none') {
      backoff.reset();
      await finish(segment);
      continue;
    }

    if (failedAt === 'invalid') {
      // A function error, or a partial response Lambda cannot use: the whole batch failed.
      if (policy.bisectBatchOnFunctionError && segment.records.length > 1) {
        const half = Math.ceil(segment.records.length / 2);
        queue.splice(
          0,
          1,
          { ...segment, records: segment.records.slice(0, half), invokes: segment.invokes },
          { ...segment, records: segment.records.slice(half), invokes: segment.invokes },
        );
        await sleep(backoff.nextDelay(), deps.signal, clock);
        continue;
      }
    } else if (failedAt > 0) {
      // Checkpoint just before the lowest failure; retry from it.
      const done = segment.records[failedAt - 1] as ShardRecord;
      await deps.checkpoint?.(done);
      segment.records = segment.records.slice(failedAt);
    }

    segment.retries++;
    if (policy.maximumRetryAttempts >= 0 && segment.retries > policy.maximumRetryAttempts) {
      await giveUp(segment, 'RetryAttemptsExhausted');
      continue;
    }
    await sleep(backoff.nextDelay(), deps.signal, clock);
  }
}

/**
 * Reads a partial batch response: `none` (all succeeded), `invalid` (treat
 * the whole batch as failed) or the index of the lowest failed record.
 */
export function lowestFailedIndex(
  response: unknown,
  records: readonly ShardRecord[],
): number | 'none' | 'invalid' {
  if (response === null || typeof response !== 'object' || Array.isArray(response)) return 'none';
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return 'none';
  if (!Array.isArray(failures)) return 'invalid';
  if (failures.length === 0) return 'none';
  const index = new Map(records.map((record, i) => [record.sequenceNumber, i]));
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const at = typeof id === 'string' && id !== '' ? index.get(id) : undefined;
    if (at === undefined) return 'invalid';
    lowest = Math.min(lowest, at);
  }
  return lowest;
}
