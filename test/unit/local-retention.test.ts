import { describe, expect, it } from 'vitest';
import { releasedBefore, trimRequest } from '../../local/kinesis/retention.ts';

const at = (ms: number) => new Date(ms);
const fromStart = {
  startingPosition: 'TRIM_HORIZON' as const,
  startingPositionTimestamp: undefined,
};

describe('releasedBefore', () => {
  it('lets go of what a mapping is surely past, and nothing it may still read', () => {
    expect(
      releasedBefore({ kind: 'sequence', sequenceNumber: '1', arrivedAt: at(5_000) }, fromStart),
    ).toBe(5_000);
    // A checkpoint without its arrival time (older rows) holds everything.
    expect(releasedBefore({ kind: 'sequence', sequenceNumber: '1' }, fromStart)).toBe(0);
    expect(releasedBefore({ kind: 'timestamp', timestamp: at(7_000) }, fromStart)).toBe(7_000);
    expect(releasedBefore({ kind: 'finished' }, fromStart)).toBe(Number.POSITIVE_INFINITY);
    expect(releasedBefore(undefined, fromStart)).toBe(0);
    expect(
      releasedBefore(undefined, {
        startingPosition: 'LATEST',
        startingPositionTimestamp: undefined,
      }),
    ).toBe(0);
    expect(
      releasedBefore(undefined, {
        startingPosition: 'AT_TIMESTAMP',
        startingPositionTimestamp: at(9_000),
      }),
    ).toBe(9_000);
  });
});

describe('trimRequest', () => {
  it('asks per shard for the oldest of the retention and every mapping, and leaves out shards with nothing to drop', () => {
    const first = (shard: string) => ({ a: 3_000, b: 8_000, c: 0 })[shard] ?? 0;
    const second = (shard: string) =>
      ({ a: 4_000, b: Number.POSITIVE_INFINITY, c: 9_000 })[shard] ?? 0;
    expect(trimRequest('s', ['a', 'b', 'c'], [first, second], 6_000)).toEqual({
      stream: 's',
      before: { a: at(3_000), b: at(6_000) },
    });
    // No mapping: the retention alone.
    expect(trimRequest('s', ['a'], [], 6_000).before).toEqual({ a: at(6_000) });
  });
});
