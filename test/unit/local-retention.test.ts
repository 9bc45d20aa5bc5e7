import { describe, expect, it } from 'vitest';
import {
  KinesisLocalNotPatchedError,
  keepRetention,
  type RetentionKeeper,
  releasedBefore,
  type TrimRequest,
  trimRequest,
} from '../../local/kinesis/retention.ts';
import { createDrivenClock } from '../../local/shared/driven-clock.ts';

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

describe('keepRetention', () => {
  it('passes every everyMs of its clock, the next armed when one ends; says a failure once, and stops for an unpatched kinesis-local', async () => {
    const clock = createDrivenClock('2026-11-25T17:00:00Z');
    const start = clock.now();
    const outcomes: Array<'ok' | 'fail' | 'unpatched'> = ['ok', 'fail', 'fail', 'ok', 'unpatched'];
    const passes: number[] = [];
    const keeper = {
      trim: async (): Promise<TrimRequest> => {
        passes.push(clock.now() - start);
        const outcome = outcomes.shift();
        if (outcome === 'fail') throw new Error('connection refused');
        if (outcome === 'unpatched') throw new KinesisLocalNotPatchedError('not patched');
        return { stream: 's', before: {} };
      },
    } as unknown as RetentionKeeper;
    const notices: string[] = [];

    const retention = keepRetention([keeper], {
      everyMs: 60_000,
      notice: (message) => notices.push(message),
      clock,
    });
    await clock.advanceBy(59_999);
    const beforeTheFirst = passes.length;
    await clock.advanceBy(10 * 60_000);
    retention.stop();

    expect(beforeTheFirst).toBe(0);
    expect(passes).toEqual([60_000, 120_000, 180_000, 240_000, 300_000]);
    expect(notices).toEqual([
      'applying the retention failed: Error: connection refused; retrying',
      'not patched',
    ]);
    expect(clock.pending).toBe(0);
  });
});
