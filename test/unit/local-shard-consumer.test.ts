import { describe, expect, it } from 'vitest';
import type { ShardRecord } from '../../local/kinesis/kinesis-event.ts';
import { laneOf, takeRound } from '../../local/kinesis/shard-consumer.ts';

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
