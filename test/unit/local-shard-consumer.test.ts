import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { ShardRecord } from '../../local/kinesis/kinesis-event.ts';
import { laneOf, ShardConsumer, takeRound } from '../../local/kinesis/shard-consumer.ts';
import type { ShardRecordSource } from '../../local/kinesis/shard-reader.ts';
import { createDrivenClock, type DrivenClock } from '../../local/shared/driven-clock.ts';

function record(i: number, key = 'k', bytes = 100): ShardRecord & { bytes: number } {
  return {
    shardId: 'shardId-000000000000',
    sequenceNumber: String(i),
    partitionKey: key,
    data: new Uint8Array(),
    approximateArrivalTimestamp: new Date(0),
    bytes,
  };
}

const limits = (batchSize: number, lanes = 1, maxPayloadBytes = 1_000_000) => ({
  batchSize,
  lanes,
  maxPayloadBytes,
  envelopeBytes: 14,
  sizeOf: (r: ShardRecord) => (r as ShardRecord & { bytes: number }).bytes,
});

const sequences = (lanes: ShardRecord[][]) =>
  lanes.map((lane) => lane.map((r) => r.sequenceNumber));

describe('takeRound', () => {
  it('takes up to BatchSize records from the front', () => {
    const buffer = [1, 2, 3, 4, 5].map((i) => record(i));

    const round = takeRound(buffer, limits(3));

    expect(round.taken).toBe(3);
    expect(sequences(round.lanes)).toEqual([['1', '2', '3']]);
  });

  it('stops before the payload limit, but always takes one record', () => {
    const buffer = [record(1, 'k', 600), record(2, 'k', 600), record(3, 'k', 2_000)];

    expect(sequences(takeRound(buffer, limits(10, 1, 1_000)).lanes)).toEqual([['1']]);
    expect(sequences(takeRound(buffer.slice(2), limits(10, 1, 1_000)).lanes)).toEqual([['3']]);
  });

  it('splits by partition key into lanes and ends the round at the first full lane', () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const buffer = keys.flatMap((key, k) => [record(k * 2 + 1, key), record(k * 2 + 2, key)]);

    const round = takeRound(buffer, limits(2, 3));

    const taken = buffer.slice(0, round.taken);
    expect(round.lanes.flat()).toHaveLength(round.taken);
    for (const lane of round.lanes) {
      expect(new Set(lane.map((r) => laneOf(r.partitionKey, 3))).size).toBe(1);
      expect(lane.length).toBeLessThanOrEqual(2);
    }
    const next = buffer[round.taken];
    if (next) {
      const laneOfNext = round.lanes.find(
        (lane) => laneOf(lane[0]?.partitionKey ?? '', 3) === laneOf(next.partitionKey, 3),
      );
      expect(laneOfNext).toHaveLength(2);
    }
    expect(taken.map((r) => r.sequenceNumber)).toEqual(
      [...round.lanes.flat()]
        .sort((a, b) => Number(a.sequenceNumber) - Number(b.sequenceNumber))
        .map((r) => r.sequenceNumber),
    );
  });
});

describe('laneOf', () => {
  it('is stable per key and within range', () => {
    for (const key of ['BTC-USD', 'ETH-USD', 'x']) {
      expect(laneOf(key, 4)).toBe(laneOf(key, 4));
      expect(laneOf(key, 4)).toBeGreaterThanOrEqual(0);
      expect(laneOf(key, 4)).toBeLessThan(4);
      expect(laneOf(key, 1)).toBe(0);
    }
  });
});

describe('ShardConsumer on a driven clock', () => {
  /** A shard whose records the test puts; the consumer runs as a task of `clock`. */
  function consume(
    clock: DrivenClock,
    settings: { batchSize: number; windowMs: number; parallelizationFactor?: number },
    processLane: (records: readonly ShardRecord[]) => Promise<void>,
  ) {
    const waiting: ShardRecord[] = [];
    const reads: number[] = [];
    const checkpoints: Array<[string, number]> = [];
    const source: ShardRecordSource = {
      idleDelayMs: 1_000,
      read: async () => {
        reads.push(clock.now());
        return { records: waiting.splice(0), hasMore: false, shardEnded: false };
      },
    };
    const stop = new AbortController();
    const consumer = new ShardConsumer({
      shardId: 'shardId-000000000000',
      source,
      settings: {
        parallelizationFactor: 1,
        maxPayloadBytes: 6_000_000,
        maxBufferedRecords: 10_000,
        ...settings,
      },
      sizeOf: () => 100,
      envelopeBytes: 14,
      // A single lane moves the checkpoint itself, as processLane does.
      processLane: async (records, checkpoint) => {
        await processLane(records);
        const last = records.at(-1);
        if (checkpoint && last) await checkpoint(last);
      },
      checkpoint: async (last) => {
        checkpoints.push([last.sequenceNumber, clock.now()]);
      },
      finished: async () => {},
      signal: stop.signal,
      clock,
    });
    const ended = new Promise<unknown>((resolve) => {
      clock.at(clock.now(), () => consumer.run().catch(resolve));
    });
    return { waiting, reads, checkpoints, stop: () => stop.abort(), ended };
  }

  it('reads once per poll interval, and invokes when the batching window ends', async () => {
    const clock = createDrivenClock('2026-11-25T17:00:00Z');
    const t0 = clock.now();
    const invoked: Array<[string[], number]> = [];
    // The second read's offset is cut at random: here half the poll interval.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const shard = consume(clock, { batchSize: 10, windowMs: 5_000 }, async (records) => {
      invoked.push([records.map((r) => r.sequenceNumber), clock.now() - t0]);
    });
    onTestFinished(() => random.mockRestore());

    shard.waiting.push(record(1), record(2));
    await clock.settle();
    await clock.advanceBy(4_999);
    const beforeTheWindowEnds = invoked.length;
    await clock.advanceBy(1);
    shard.stop();

    expect(await shard.ended).toMatchObject({ name: 'StoppedError' });
    expect(beforeTheWindowEnds).toBe(0);
    expect(invoked).toEqual([[['1', '2'], 5_000]]);
    expect(shard.checkpoints).toEqual([['2', t0 + 5_000]]);
    // The first read at once, the second within a poll interval (cut at random), then one a second.
    expect(shard.reads.map((at) => at - t0)).toEqual([0, 500, 1_500, 2_500, 3_500, 4_500]);
  });

  it('runs the lanes of a round side by side, each retrying on the clock, and checkpoints once all are done', async () => {
    const clock = createDrivenClock('2026-11-25T17:00:00Z');
    const t0 = clock.now();
    const done: Array<[string, number]> = [];
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const [fast, slow] = [
      keys.find((k) => laneOf(k, 2) === 0),
      keys.find((k) => laneOf(k, 2) === 1),
    ];
    const shard = consume(
      clock,
      { batchSize: 1, windowMs: 0, parallelizationFactor: 2 },
      async (records) => {
        const key = records[0]?.partitionKey;
        // A retry after a backoff of 300 ms (one lane) or 2 s (the other).
        await clock.sleep(key === fast ? 300 : 2_000);
        done.push([key ?? '', clock.now() - t0]);
      },
    );

    shard.waiting.push(record(1, fast), record(2, slow));
    await clock.advanceBy(1_999);
    const beforeTheSlowLane = { done: [...done], checkpoints: [...shard.checkpoints] };
    await clock.advanceBy(1);
    shard.stop();
    await shard.ended;

    expect(beforeTheSlowLane).toEqual({ done: [[fast, 300]], checkpoints: [] });
    expect(done).toEqual([
      [fast, 300],
      [slow, 2_000],
    ]);
    expect(shard.checkpoints).toEqual([['2', t0 + 2_000]]);
  });
});
