/**
 * The one thing the dashboard API takes from the client besides a widget id:
 * a time range, validated here. Either a preset (`range=15m`) ending now, or
 * `from` and `to` as ISO 8601 times or epoch milliseconds.
 */

export class TimeRangeError extends Error {
  override name = 'TimeRangeError';
}

export type { TimeRange } from '../../lambdas/shared/time-buckets.ts';

import type { TimeRange } from '../../lambdas/shared/time-buckets.ts';

export const PRESETS = {
  '5m': 5 * 60_000,
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 24 * 3_600_000,
  '7d': 7 * 24 * 3_600_000,
} as const;

export type Preset = keyof typeof PRESETS;
export const DEFAULT_PRESET: Preset = '15m';

export const MIN_RANGE_MS = 60_000;
/** As far back as the local metric store keeps points. */
export const MAX_RANGE_MS = 31 * 24 * 3_600_000;
/** Nothing is priced before this (the price event rejects it too). */
const EARLIEST_MS = Date.parse('2009-01-01T00:00:00Z');
/** A range may end a little in the future (clock skew, a range picked a moment ago). */
const FUTURE_SLACK_MS = 24 * 3_600_000;

export function parseTimeRange(params: URLSearchParams, now: number = Date.now()): TimeRange {
  const range = params.get('range');
  const from = params.get('from');
  const to = params.get('to');
  if (range !== null && (from !== null || to !== null)) {
    throw new TimeRangeError('give either range or from and to, not both');
  }
  if (from === null && to === null) {
    const preset = (range ?? DEFAULT_PRESET) as Preset;
    if (!Object.hasOwn(PRESETS, preset)) {
      throw new TimeRangeError(
        `range must be one of ${Object.keys(PRESETS).join(', ')}, got ${JSON.stringify(range)}`,
      );
    }
    return { from: new Date(now - PRESETS[preset]), to: new Date(now) };
  }
  if (from === null || to === null) throw new TimeRangeError('give both from and to');
  const start = parseTime('from', from);
  const end = parseTime('to', to);
  const span = end.getTime() - start.getTime();
  if (span <= 0) throw new TimeRangeError('from must be before to');
  if (span < MIN_RANGE_MS) throw new TimeRangeError('the range must be at least a minute long');
  if (span > MAX_RANGE_MS) throw new TimeRangeError('the range must be at most 31 days long');
  if (start.getTime() < EARLIEST_MS) throw new TimeRangeError('from must be after 2009-01-01');
  if (end.getTime() > now + FUTURE_SLACK_MS) {
    throw new TimeRangeError('to must not be more than a day in the future');
  }
  return { from: start, to: end };
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseTime(name: string, text: string): Date {
  const value = text.trim();
  let ms: number;
  if (/^\d{10,13}$/.test(value)) ms = Number(value);
  else if (ISO.test(value)) ms = Date.parse(value);
  else {
    throw new TimeRangeError(
      `${name} must be an ISO 8601 time with a zone (2026-01-01T12:00:00Z) or epoch milliseconds, got ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  if (!Number.isFinite(ms)) throw new TimeRangeError(`${name} is not a valid time`);
  return new Date(ms);
}

// The bucket grid is shared with the reports function (lambdas/shared/time-buckets.ts).
export { bucketGrid, bucketSeconds } from '../../lambdas/shared/time-buckets.ts';
