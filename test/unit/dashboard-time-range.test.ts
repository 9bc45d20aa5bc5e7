import { describe, expect, it } from 'vitest';
import {
  bucketGrid,
  bucketSeconds,
  parseTimeRange,
  TimeRangeError,
} from '../../local/dashboard/time-range.ts';

const now = Date.parse('2026-11-25T18:00:00Z');
const parse = (query: string) => parseTimeRange(new URLSearchParams(query), now);

describe('time range', () => {
  it('takes a preset ending now, 15 minutes by default', () => {
    expect(parse('')).toEqual({ from: new Date(now - 15 * 60_000), to: new Date(now) });
    expect(parse('range=6h').from).toEqual(new Date(now - 6 * 3_600_000));
  });

  it('takes from and to as ISO times with a zone or epoch milliseconds', () => {
    expect(parse('from=2026-11-25T16:00:00Z&to=2026-11-25T17:30:00.5%2B01:00')).toEqual({
      from: new Date('2026-11-25T16:00:00Z'),
      to: new Date('2026-11-25T16:30:00.500Z'),
    });
    expect(parse(`from=${now - 3_600_000}&to=${now}`).from).toEqual(new Date(now - 3_600_000));
  });

  it.each([
    ['range=2y', /range must be one of 5m, 15m, 1h, 6h, 24h, 7d/],
    ['range=1h&from=2026-11-25T16:00:00Z', /either range or from and to/],
    ['from=2026-11-25T16:00:00Z', /both from and to/],
    ['from=2026-11-25T17:00:00Z&to=2026-11-25T16:00:00Z', /from must be before to/],
    ['from=2026-11-25T17:00:00Z&to=2026-11-25T17:00:30Z', /at least a minute/],
    ['from=2025-01-01T00:00:00Z&to=2026-11-25T17:00:00Z', /at most 31 days/],
    ['from=1999-01-01T00:00:00Z&to=1999-01-02T00:00:00Z', /after 2009/],
    ['from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z', /future/],
    ['from=yesterday&to=today', /ISO 8601/],
    ['from=2026-11-25T16:00:00&to=2026-11-25T17:00:00', /with a zone/],
    ['from=1;DROP TABLE x&to=2', /ISO 8601/],
  ])('refuses %s', (query, message) => {
    expect(() => parse(query)).toThrow(TimeRangeError);
    expect(() => parse(query)).toThrow(message);
  });

  it('picks round buckets, about 120 per range, never finer than asked', () => {
    const range = (ms: number) => ({ from: new Date(now - ms), to: new Date(now) });

    expect(bucketSeconds(range(15 * 60_000))).toBe(10);
    expect(bucketSeconds(range(15 * 60_000), 60)).toBe(60);
    expect(bucketSeconds(range(3_600_000))).toBe(30);
    expect(bucketSeconds(range(24 * 3_600_000))).toBe(900);
    expect(bucketSeconds(range(7 * 24 * 3_600_000))).toBe(7200);
  });

  it('lays buckets on the epoch grid, covering the range', () => {
    const grid = bucketGrid(
      { from: new Date('2026-11-25T17:00:05Z'), to: new Date('2026-11-25T17:01:00Z') },
      30,
    );

    expect(grid.map((t) => new Date(t * 1000).toISOString())).toEqual([
      '2026-11-25T17:00:00.000Z',
      '2026-11-25T17:00:30.000Z',
    ]);
  });
});
