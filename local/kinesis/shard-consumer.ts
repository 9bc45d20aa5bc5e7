/**
 * One shard of one event source mapping: reads records into a buffer, cuts
 * batches by size, batching window and payload limit, hands them to the lane
 * processor and moves the checkpoint.
 *
 * ParallelizationFactor, simplified: the records taken for one round are
 * split by a hash of the partition key into that many lanes, each processed
 * in order and concurrently with the others; the checkpoint moves only when
 * every lane of the round is done. Lambda checkpoints each lane on its own;
 * here a restart in the middle of a round re-delivers the round (at least
 * once, as on Lambda, just a little more of it).
 */
import { createHash } from 'node:crypto';
import type { TimerClock } from '../../lambdas/shared/clock.ts';
import { StoppedError, sleep } from '../shared/backoff.ts';
import type { ShardRecord } from './kinesis-event.ts';
import type { ShardRecordSource } from './shard-reader.ts';

export interface BatchingSettings {
  batchSize: number;
  /** MaximumBatchingWindowInSeconds, in ms. */
  windowMs: number;
  parallelizationFactor: number;
  maxPayloadBytes: number;
  /** Stop reading ahead when this many records wait in memory. */
  maxBufferedRecords: number;
}

export interface ShardConsumerDeps {
  shardId: string;
  source: ShardRecordSource;
  settings: BatchingSettings;
  /** Bytes a record adds to the event's JSON. */
  sizeOf(record: ShardRecord): number;
  envelopeBytes: number;
  /**
   * Processes one lane until every record is done. Gets `checkpoint` when
   * it may move the checkpoint itself (a single lane).
   */
  processLane(
    records: readonly ShardRecord[],
    checkpoint: ((record: ShardRecord) => Promise<void>) | undefined,
  ): Promise<void>;
  /** Records up to and including `record` are done. */
  checkpoint(record: ShardRecord): Promise<void>;
  /** The shard is closed and fully processed. */
  finished(): Promise<void>;
  signal: AbortSignal;
  /** What the poll interval and the batching window run on. */
  clock: TimerClock;
}

export class ShardConsumer {
  private readonly buffer: ShardRecord[] = [];
  private bufferedBytes = 0;
  /** When the oldest buffered record was read: the batching window runs from there. */
  private windowStartedAt: number | undefined;
  private shardEnded = false;
  private nextReadAt = 0;
  private firstRead = true;

  constructor(private readonly deps: ShardConsumerDeps) {}

  /** Runs until the shard is finished; rejects with StoppedError when stopped. */
  async run(): Promise<void> {
    const { source, signal, settings, clock } = this.deps;
    while (!signal.aborted) {
      // A full round waiting is processed before the next read: a read would
      // not add to it, and on a fast-polled shard (enhanced fan-out) reads
      // between rounds would take the time the invocations need.
      const roundWaiting =
        this.buffer.length >= settings.batchSize * settings.parallelizationFactor;
      const canRead =
        !this.shardEnded && !roundWaiting && this.buffer.length < settings.maxBufferedRecords;
      if (canRead && clock.now() >= this.nextReadAt) {
        const readStartedAt = clock.now();
        const read = await source.read(signal);
        if (read.records.length > 0 && this.buffer.length === 0) this.windowStartedAt = clock.now();
        for (const record of read.records) {
          this.buffer.push(record);
          this.bufferedBytes += this.deps.sizeOf(record);
        }
        this.shardEnded = read.shardEnded;
        // The idle interval runs from the start of a read, so a shard is read
        // once per interval (Lambda: once a second), however long a read takes.
        // The first one is cut at random, so the shards of a mapping, started
        // together, are not read in lockstep (Lambda polls each on its own);
        // in whole milliseconds, so the clock reads (and stamps) whole ones.
        const idleDelayMs = this.firstRead
          ? Math.floor(Math.random() * source.idleDelayMs)
          : source.idleDelayMs;
        this.firstRead = false;
        this.nextReadAt = read.hasMore ? clock.now() : readStartedAt + idleDelayMs;
      }
      if (this.ready()) {
        await this.processRound();
        continue;
      }
      if (this.shardEnded && this.buffer.length === 0) {
        await this.deps.finished();
        return;
      }
      const windowEndsAt =
        this.windowStartedAt === undefined
          ? Number.POSITIVE_INFINITY
          : this.windowStartedAt + settings.windowMs;
      const wakeAt = Math.min(canRead ? this.nextReadAt : Number.POSITIVE_INFINITY, windowEndsAt);
      await sleep(Math.max(0, Math.min(wakeAt - clock.now(), 60_000)), signal, clock);
    }
    throw new StoppedError();
  }

  private ready(): boolean {
    const { settings } = this.deps;
    if (this.buffer.length === 0) return false;
    return (
      this.buffer.length >= settings.batchSize ||
      this.bufferedBytes + this.deps.envelopeBytes >= settings.maxPayloadBytes ||
      settings.windowMs === 0 ||
      this.deps.clock.now() - (this.windowStartedAt ?? 0) >= settings.windowMs ||
      this.shardEnded
    );
  }

  private async processRound(): Promise<void> {
    const { settings } = this.deps;
    const { lanes, taken } = takeRound(this.buffer, {
      batchSize: settings.batchSize,
      lanes: settings.parallelizationFactor,
      maxPayloadBytes: settings.maxPayloadBytes,
      envelopeBytes: this.deps.envelopeBytes,
      sizeOf: this.deps.sizeOf,
    });
    const round = this.buffer.splice(0, taken);
    for (const record of round) this.bufferedBytes -= this.deps.sizeOf(record);
    // Records still waiting were read with the round: their window is already running.
    this.windowStartedAt = this.buffer.length > 0 ? this.windowStartedAt : undefined;

    if (lanes.length === 1 && settings.parallelizationFactor === 1) {
      await this.deps.processLane(lanes[0] as ShardRecord[], (record) =>
        this.deps.checkpoint(record),
      );
      return;
    }
    // Each lane a task of the clock's, so that a driven clock runs their retries in turn.
    await this.deps.clock.all(lanes.map((lane) => () => this.deps.processLane(lane, undefined)));
    const last = round.at(-1);
    if (last) await this.deps.checkpoint(last);
  }
}

export interface RoundLimits {
  batchSize: number;
  lanes: number;
  maxPayloadBytes: number;
  envelopeBytes: number;
  sizeOf(record: ShardRecord): number;
}

/**
 * Cuts the next round from the front of `buffer`: each lane gets its records
 * in order, at most `batchSize` of them and no more than the payload limit.
 * The round ends at the first record whose lane is full, so the round is a
 * prefix of the buffer and one checkpoint covers it.
 */
export function takeRound(
  buffer: readonly ShardRecord[],
  limits: RoundLimits,
): { lanes: ShardRecord[][]; taken: number } {
  const lanes = Array.from({ length: limits.lanes }, () => ({
    records: [] as ShardRecord[],
    bytes: limits.envelopeBytes,
  }));
  let taken = 0;
  for (const record of buffer) {
    const lane = lanes[laneOf(record.partitionKey, limits.lanes)] as (typeof lanes)[number];
    const bytes = limits.sizeOf(record);
    if (lane.records.length >= limits.batchSize) break;
    if (lane.records.length > 0 && lane.bytes + bytes > limits.maxPayloadBytes) break;
    lane.records.push(record);
    lane.bytes += bytes;
    taken++;
  }
  return {
    lanes: lanes.map((lane) => lane.records).filter((records) => records.length > 0),
    taken,
  };
}

/** Records with one partition key always share a lane, so their order holds. */
export function laneOf(partitionKey: string, lanes: number): number {
  if (lanes <= 1) return 0;
  return createHash('md5').update(partitionKey).digest().readUInt32BE(0) % lanes;
}
