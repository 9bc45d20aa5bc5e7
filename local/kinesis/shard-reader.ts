/**
 * Where a mapping gets one shard's records from: polling with GetRecords, as
 * Lambda does for a standard (shared-throughput) mapping and, with a short
 * idle interval, for an enhanced fan-out one; or SubscribeToShard
 * (subscription-reader.ts). Either plugs into the same shard consumer.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { type Clock, type TimerClock, timerClockOf } from '../../lambdas/shared/clock.ts';
import {
  Backoff,
  type BackoffOptions,
  errorMessage,
  StoppedError,
  sleep,
} from '../shared/backoff.ts';
import { isConnectionLost } from '../shared/start-wait.ts';
import type { ShardRecord } from './kinesis-event.ts';

export type StartingPoint =
  /** `arrivedAt`: that record's arrival, where to resume if the stream no longer has it. */
  | { type: 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string; arrivedAt?: Date | undefined }
  | { type: 'AT_TIMESTAMP'; timestamp: Date }
  | { type: 'TRIM_HORIZON' }
  | { type: 'LATEST' };

export interface ShardRead {
  records: ShardRecord[];
  /** More records are waiting: read again at once instead of after the poll interval. */
  hasMore: boolean;
  /** The shard is closed (resharded) and every record has been read. */
  shardEnded: boolean;
}

export interface ShardRecordSource {
  /**
   * The records after those already returned. Waits out Kinesis outages
   * (retrying with backoff) and rejects with StoppedError once `signal` aborts.
   */
  read(signal: AbortSignal): Promise<ShardRead>;
  /** How long to wait before the next read when the last one found nothing more. */
  readonly idleDelayMs: number;
  /** Releases what the source holds open (a subscription) once the shard consumer is done with it. */
  close?(): void;
}

export interface ShardReaderReporter {
  /** Kinesis cannot be reached; called once per outage. */
  unavailable(message: string): void;
  recovered(): void;
  warn(message: string): void;
}

export interface PollingShardReaderOptions {
  streamName: string;
  shardId: string;
  start: StartingPoint;
  /** GetRecords Limit, at most 10,000. */
  limit: number;
  pollIntervalMs: number;
  /**
   * How often an iterator held since the last check is checked again
   * (confirmPosition), ms. Default 10,000. kinesis-local restarted from an
   * older save within the second it numbered the lost records can give new
   * records their numbers; a reader that saw no error in between would go on
   * after a number that now names a newer record, skipping the ones before it.
   */
  recheckMs?: number;
  /**
   * When the position was last checked, and what the backoff after a failed
   * read waits on. Default the system clock.
   */
  clock?: Clock | TimerClock;
  backoff?: BackoffOptions;
  reporter: ShardReaderReporter;
}

const RECHECK_MS = 10_000;

export class PollingShardReader implements ShardRecordSource {
  readonly idleDelayMs: number;
  private iterator: string | undefined;
  private start: StartingPoint;
  /** The last record handed out: a new iterator starts after it. */
  private last: ShardRecord | undefined;
  /** When the held iterator's position was checked (clock time). */
  private checkedAt = 0;
  private readonly clock: TimerClock;
  private readonly recheckMs: number;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly options: PollingShardReaderOptions,
  ) {
    this.idleDelayMs = options.pollIntervalMs;
    this.start = options.start;
    this.clock = timerClockOf(options.clock);
    this.recheckMs = options.recheckMs ?? RECHECK_MS;
  }

  async read(signal: AbortSignal): Promise<ShardRead> {
    const backoff = new Backoff(this.options.backoff);
    let failing = false;
    for (;;) {
      if (signal.aborted) throw new StoppedError();
      try {
        if (this.iterator !== undefined && this.recheckDue()) this.iterator = undefined;
        this.iterator ??= await this.newIterator(signal);
        const page = await this.kinesis.send(
          new GetRecordsCommand({ ShardIterator: this.iterator, Limit: this.options.limit }),
          { abortSignal: signal },
        );
        if (failing) this.options.reporter.recovered();
        const records: ShardRecord[] = (page.Records ?? []).map((record) => ({
          shardId: this.options.shardId,
          sequenceNumber: record.SequenceNumber ?? '',
          partitionKey: record.PartitionKey ?? '',
          data: record.Data ?? new Uint8Array(),
          approximateArrivalTimestamp: record.ApproximateArrivalTimestamp ?? new Date(),
        }));
        this.last = records.at(-1) ?? this.last;
        this.iterator = page.NextShardIterator;
        return {
          records,
          // kinesis-local reports MillisBehindLatest 0 even with records
          // left, so a full page counts as "more waiting" too.
          hasMore: records.length >= this.options.limit || (page.MillisBehindLatest ?? 0) > 0,
          shardEnded: page.NextShardIterator === undefined || page.NextShardIterator === null,
        };
      } catch (error) {
        if (signal.aborted || error instanceof StoppedError) throw new StoppedError();
        const name = (error as Error).name;
        if (name === 'ExpiredIteratorException') {
          // Iterators live 5 minutes; a long retry outlives one. Start again
          // after the last record read, so nothing is skipped or repeated.
          this.iterator = undefined;
          continue;
        }
        const resume = resumeIfGone(this.position(), error, this.options, 'reading');
        if (resume) {
          this.start = resume;
          this.last = undefined;
          this.iterator = undefined;
          continue;
        }
        if (!failing) {
          failing = true;
          this.options.reporter.unavailable(
            `Kinesis ${this.options.streamName}/${this.options.shardId}: ${errorMessage(error)}; retrying`,
          );
        }
        // A new iterator when the stream or the connection went away: the
        // one held may come from a kinesis-local that has since restarted
        // from an older save. Not after a slow answer: an overloaded
        // kinesis-local would be asked for more (a new iterator costs it
        // three requests, see confirmPosition) just when it can least take it.
        if (name === 'ResourceNotFoundException' || isConnectionLost(error)) {
          this.iterator = undefined;
        }
        await sleep(backoff.nextDelay(), signal, this.clock);
      }
    }
  }

  /** Where a new iterator starts: after the last record read, else the starting point. */
  private position(): StartingPoint {
    return positionAfter(this.last, this.start);
  }

  /** Whether the position the held iterator goes on from is due to be checked again. */
  private recheckDue(): boolean {
    return this.last !== undefined && this.clock() - this.checkedAt >= this.recheckMs;
  }

  private async newIterator(signal: AbortSignal): Promise<string> {
    const position = await confirmPosition(
      this.kinesis,
      this.position(),
      this.options,
      'reading',
      signal,
    );
    this.checkedAt = this.clock();
    if (position.type !== 'AFTER_SEQUENCE_NUMBER') {
      this.start = position;
      this.last = undefined;
    }
    const input: GetShardIteratorCommandInput = {
      StreamName: this.options.streamName,
      ShardId: this.options.shardId,
      ShardIteratorType: position.type,
    };
    if (position.type === 'AFTER_SEQUENCE_NUMBER') {
      input.StartingSequenceNumber = position.sequenceNumber;
    }
    if (position.type === 'AT_TIMESTAMP') input.Timestamp = position.timestamp;
    const result = await this.kinesis.send(new GetShardIteratorCommand(input), {
      abortSignal: signal,
    });
    if (!result.ShardIterator) throw new Error(`No shard iterator for ${this.options.shardId}`);
    return result.ShardIterator;
  }
}

/**
 * A checkpoint the stream no longer has (trimmed, or a new stream under the
 * old name): AWS says InvalidArgument; kinesis-local says it cannot find the
 * sequence number.
 */
export function isBadStartingSequence(start: StartingPoint, error: unknown): boolean {
  if (start.type !== 'AFTER_SEQUENCE_NUMBER') return false;
  const { name, message } = error as Error;
  return (
    name === 'InvalidArgumentException' ||
    (name === 'ResourceNotFoundException' && /SequenceNumber/i.test(message))
  );
}

/** After `last` (with its arrival time), or `start` when nothing was read yet. */
export function positionAfter(last: ShardRecord | undefined, start: StartingPoint): StartingPoint {
  return last
    ? {
        type: 'AFTER_SEQUENCE_NUMBER',
        sequenceNumber: last.sequenceNumber,
        arrivedAt: last.approximateArrivalTimestamp,
      }
    : start;
}

/**
 * When `error` says the record to go on after is gone (kinesis-local
 * restored from a save older than it, the record expired, the stream was
 * made again): where to resume instead, said in a warning. Undefined for any
 * other error.
 */
export function resumeIfGone(
  position: StartingPoint,
  error: unknown,
  where: { shardId: string; reporter: ShardReaderReporter },
  verb: 'reading' | 'subscribing',
): StartingPoint | undefined {
  if (!isBadStartingSequence(position, error)) return undefined;
  const resume = resumePoint(position);
  where.reporter.warn(
    `${where.shardId}: the position ${describeStartingPoint(position)} is not in the stream ` +
      `(kinesis-local restored an older save, the record expired, or the stream was re-created); ${verb} ${describeStartingPoint(resume)}`,
  );
  return resume;
}

/**
 * Where to read from, having checked that the record an AFTER_SEQUENCE_NUMBER
 * point goes on after is still the one that was read (same arrival time).
 * kinesis-local, restored from an older save, numbers new records as it
 * numbered the ones it lost: the sequence number is then valid again but names
 * a newer record, and reading after it would skip the records before it.
 * Returns `position` when it holds (or cannot be checked), else where to
 * resume (from the record's arrival time), said in a warning.
 */
export async function confirmPosition(
  kinesis: Pick<KinesisClient, 'send'>,
  position: StartingPoint,
  where: { streamName: string; shardId: string; reporter: ShardReaderReporter },
  verb: 'reading' | 'subscribing',
  signal?: AbortSignal,
): Promise<StartingPoint> {
  if (position.type !== 'AFTER_SEQUENCE_NUMBER' || !position.arrivedAt) return position;
  let iterator: string | undefined;
  try {
    ({ ShardIterator: iterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: where.streamName,
        ShardId: where.shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: position.sequenceNumber,
      }),
      signal ? { abortSignal: signal } : {},
    ));
  } catch (error) {
    const resume = resumeIfGone(position, error, where, verb);
    if (resume) return resume;
    throw error;
  }
  if (!iterator) return position;
  const page = await kinesis.send(
    new GetRecordsCommand({ ShardIterator: iterator, Limit: 1 }),
    signal ? { abortSignal: signal } : {},
  );
  const found = page.Records?.[0];
  // An empty page proves nothing (Kinesis may return one before the record).
  if (!found) return position;
  if (
    found.SequenceNumber === position.sequenceNumber &&
    found.ApproximateArrivalTimestamp?.getTime() === position.arrivedAt.getTime()
  ) {
    return position;
  }
  const resume = resumePoint(position);
  where.reporter.warn(
    `${where.shardId}: the record at ${position.sequenceNumber} is not the one read there ` +
      `(kinesis-local restored an older save and numbered new records the same); ${verb} ${describeStartingPoint(resume)}`,
  );
  return resume;
}

/**
 * Where to go on when the record of an AFTER_SEQUENCE_NUMBER point is gone:
 * from its arrival time (records that arrived at the same millisecond are
 * delivered again, which the idempotent sink absorbs), else from the start.
 */
export function resumePoint(point: StartingPoint): StartingPoint {
  if (point.type === 'AFTER_SEQUENCE_NUMBER' && point.arrivedAt) {
    return { type: 'AT_TIMESTAMP', timestamp: point.arrivedAt };
  }
  return { type: 'TRIM_HORIZON' };
}

export function describeStartingPoint(point: StartingPoint): string {
  switch (point.type) {
    case 'AFTER_SEQUENCE_NUMBER':
      return `after ${point.sequenceNumber}`;
    case 'AT_TIMESTAMP':
      return `at ${point.timestamp.toISOString()}`;
    default:
      return point.type;
  }
}
