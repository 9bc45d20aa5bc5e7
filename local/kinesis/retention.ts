/**
 * The stream's retention, kept locally. kinesis-local never drops a record
 * (see patches/kinesis-local+0.6.2.patch and docs/long-runs.md); this asks
 * the patched kinesis-local to drop, shard by shard, the records that are
 * older than the retention period *and* that every mapping reading the
 * shard is past. A record that ages out before a mapping processed it stays
 * until that mapping reaches it and gives it up (RecordAgeExceeded, to its
 * dead letters), so nothing is lost silently, and no mapping's position is
 * ever dropped from under it, so nothing is delivered twice.
 */
import {
  AddTagsToStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListTagsForStreamCommand,
  RemoveTagsFromStreamCommand,
} from '@aws-sdk/client-kinesis';
import { systemTimerClock, type Timer, type TimerClock } from '../../lambdas/shared/clock.ts';
import type { EventSourceMappingModel } from '../assembly/stack-model.ts';
import { errorMessage } from '../shared/backoff.ts';
import type { Checkpoint, CheckpointStore } from './checkpoints.ts';
import { listShards } from './streams.ts';

/** The tag the patched kinesis-local reads as "drop this shard's records that arrived before". */
export const TRIM_TAG = 'kinesis-local:trim-before:';
/** AWS takes at most 10 tags per AddTagsToStream call. */
const TAGS_PER_CALL = 10;

export interface RetentionKeeperDeps {
  kinesis: KinesisClient;
  streamName: string;
  /** Records older than this may go (once every mapping is past them), ms. */
  retentionMs: number;
  /** The mappings that read the stream: each holds back what it has not processed. */
  mappings: ReadonlyArray<
    Pick<EventSourceMappingModel, 'uuid' | 'startingPosition' | 'startingPositionTimestamp'>
  >;
  checkpoints: Pick<CheckpointStore, 'load'>;
  /**
   * Decides what is older than the retention: records that arrived before
   * the system instant this clock read the retention ago (see
   * TimerClock.toSystemTime: kinesis-local stamps arrivals on the system's
   * clock).
   */
  clock: Pick<TimerClock, 'now' | 'toSystemTime'>;
}

export interface TrimRequest {
  stream: string;
  /** Per shard: records that arrived before this time may be dropped. */
  before: Record<string, Date>;
}

/**
 * Until when a mapping lets a shard's records go: those that arrived before
 * the returned time (epoch ms) are processed or dead-lettered by it.
 * 0: nothing (it has not started on the shard, or reads it from the start).
 */
export function releasedBefore(
  checkpoint: Checkpoint | undefined,
  mapping: Pick<EventSourceMappingModel, 'startingPosition' | 'startingPositionTimestamp'>,
): number {
  switch (checkpoint?.kind) {
    case 'finished':
      return Number.POSITIVE_INFINITY;
    // Records that arrived in the checkpointed record's millisecond may come
    // after it: only earlier ones are surely done. The checkpointed record
    // itself stays, so the mapping can go on after it.
    case 'sequence':
      return checkpoint.arrivedAt?.getTime() ?? 0;
    case 'timestamp':
      return checkpoint.timestamp.getTime();
    default:
      // No checkpoint: a LATEST start writes one as it starts; an AT_TIMESTAMP
      // one reads nothing before its timestamp; TRIM_HORIZON wants everything.
      return mapping.startingPosition === 'AT_TIMESTAMP'
        ? (mapping.startingPositionTimestamp?.getTime() ?? 0)
        : 0;
  }
}

/**
 * What may be dropped from each shard: records older than the retention
 * that every mapping has released (see releasedBefore). Shards with nothing
 * to drop are left out.
 */
export function trimRequest(
  streamName: string,
  shardIds: readonly string[],
  released: ReadonlyArray<(shardId: string) => number>,
  oldest: number,
): TrimRequest {
  const before: Record<string, Date> = {};
  for (const shardId of shardIds) {
    const cutoff = Math.min(oldest, ...released.map((byShard) => byShard(shardId)));
    if (cutoff > 0 && Number.isFinite(cutoff)) before[shardId] = new Date(cutoff);
  }
  return { stream: streamName, before };
}

export class KinesisLocalNotPatchedError extends Error {
  override name = 'KinesisLocalNotPatchedError';
}

export class RetentionKeeper {
  constructor(private readonly deps: RetentionKeeperDeps) {}

  /** Computes what may go and asks kinesis-local to drop it; returns what was asked. */
  async trim(): Promise<TrimRequest> {
    const { kinesis, streamName, mappings, checkpoints, clock, retentionMs } = this.deps;
    const summary = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: streamName }),
    );
    const createdAt = summary.StreamDescriptionSummary?.StreamCreationTimestamp;
    // Read after the shards are listed: a checkpoint can only move forward since.
    const shards = await listShards(kinesis, streamName);
    const released = await Promise.all(
      mappings.map(async (mapping) => {
        const loaded = await checkpoints.load(mapping.uuid, createdAt);
        return (shardId: string) => releasedBefore(loaded.get(shardId), mapping);
      }),
    );
    const request = trimRequest(
      streamName,
      shards.flatMap((shard) => (shard.ShardId ? [shard.ShardId] : [])),
      released,
      clock.toSystemTime(clock.now() - retentionMs),
    );
    const tags = Object.entries(request.before).map(([shardId, at]) => [
      `${TRIM_TAG}${shardId}`,
      String(at.getTime()),
    ]);
    for (let i = 0; i < tags.length; i += TAGS_PER_CALL) {
      await kinesis.send(
        new AddTagsToStreamCommand({
          StreamName: streamName,
          Tags: Object.fromEntries(tags.slice(i, i + TAGS_PER_CALL)),
        }),
      );
    }
    if (tags.length > 0) await this.checkPatched(tags.map(([key]) => key as string));
    return request;
  }

  /**
   * An unpatched kinesis-local stores the trim requests as tags and keeps
   * every record: say so (and take the tags away again) rather than let the
   * stream grow unnoticed.
   */
  private async checkPatched(keys: string[]): Promise<void> {
    const { kinesis, streamName } = this.deps;
    const { Tags = [] } = await kinesis.send(
      new ListTagsForStreamCommand({ StreamName: streamName }),
    );
    const stored = Tags.filter((tag) => tag.Key?.startsWith(TRIM_TAG)).map(
      (tag) => tag.Key as string,
    );
    if (stored.length === 0) return;
    await kinesis.send(
      new RemoveTagsFromStreamCommand({ StreamName: streamName, TagKeys: stored }),
    );
    throw new KinesisLocalNotPatchedError(
      `kinesis-local at this endpoint is not patched (it stored ${keys[0]} as a tag): ` +
        'the stream keeps every record. npm ci applies patches/kinesis-local+0.6.2.patch.',
    );
  }
}

/**
 * Applies the keepers' retention every `everyMs` on `clock` (one pass at a
 * time: the next is armed when one ends) and on `trim()`. A failure is said
 * once until a pass succeeds again; an unpatched kinesis-local is said once
 * and ends the passes.
 */
export function keepRetention(
  keepers: readonly RetentionKeeper[],
  options: { everyMs: number; notice: (message: string) => void; clock?: TimerClock },
): { trim(): Promise<TrimRequest[]>; stop(): void } {
  const trim = () => Promise.all(keepers.map((keeper) => keeper.trim()));
  if (keepers.length === 0) return { trim, stop: () => {} };
  const clock = options.clock ?? systemTimerClock;
  let failing = false;
  let stopped = false;
  let timer: Timer | undefined;
  const arm = () => {
    if (stopped) return;
    timer = clock.after(options.everyMs, async () => {
      try {
        await trim();
        failing = false;
      } catch (error) {
        if (error instanceof KinesisLocalNotPatchedError) {
          options.notice(error.message);
          return;
        }
        if (!failing) {
          failing = true;
          options.notice(`applying the retention failed: ${errorMessage(error)}; retrying`);
        }
      }
      arm();
    });
  };
  arm();
  return {
    trim,
    stop: () => {
      stopped = true;
      timer?.cancel();
    },
  };
}
