/**
 * The report window: `--since` and `--until` as a duration before now
 * (`30s`, `5m`, `2h`, `1d`) or an ISO 8601 time (UTC unless it has an offset).
 * Durations are resolved against the database's clock, which also writes
 * processed_at, so a client with a skewed clock still sees the last 5 minutes.
 */

export class WindowError extends Error {
  override name = 'WindowError';
}

/**
 * A window end: a duration before now, a time, or (the default start of
 * every report) "the first row of the last `lookbackMs`": the window then
 * fits the data there is, a minute after start as a day after.
 */
export type Bound = { ago: number } | { at: Date } | { firstRowWithin: number };

/** How far back the default range looks for the first row: an hour. */
export const DEFAULT_LOOKBACK_MS = 3_600_000;

/** The default `--since` of `npm run compare` and `npm run report`, and of the reports function. */
export const DEFAULT_SINCE: Bound = { firstRowWithin: DEFAULT_LOOKBACK_MS };

export const DEFAULT_RANGE_HELP = 'from the first row of the last hour';

export interface Window {
  since: Date;
  until: Date;
}

/** Long enough for a day-by-day look; longer ranges belong to the gold tables. */
export const MAX_WINDOW_MS = 31 * 24 * 3_600_000;

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+)(s|m|h|d)$/;
const ISO =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Parses one `--since`/`--until` value; `option` names it in the error. */
export function parseBound(option: string, text: string): Bound {
  const value = text.trim();
  if (option === '--until' && value === 'now') return { ago: 0 };
  const duration = DURATION.exec(value);
  if (duration) {
    const ms = Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS];
    if (ms === 0) throw new WindowError(`${option} must be a positive duration, got "${text}"`);
    return { ago: ms };
  }
  const iso = ISO.exec(value);
  if (iso) {
    // A date alone is UTC in JavaScript already; a date-time without offset
    // would be local time, which the report (all UTC) would then contradict.
    const hasTime = /\d[T ]\d/.test(value);
    const normalized = value.replace(' ', 'T') + (hasTime && !iso[1] ? 'Z' : '');
    const at = new Date(normalized);
    if (!Number.isNaN(at.getTime())) return { at };
  }
  throw new WindowError(
    `${option} must be a duration like 30s, 5m, 2h, 1d or an ISO time like 2026-05-01T12:00:00Z, got "${text}"`,
  );
}

/**
 * The window for bounds read at `now` (the database's clock). A default
 * start needs `firstRowAt`, the first row in its lookback before the end
 * (undefined when there is none: the whole lookback); it starts on that row's
 * minute.
 */
export function resolveWindow(
  now: Date,
  since: Bound,
  until: Bound,
  firstRowAt?: Date | null,
): Window {
  const at = (bound: Bound, end?: Date): Date => {
    if ('at' in bound) return bound.at;
    if ('ago' in bound) return new Date(now.getTime() - bound.ago);
    const lookbackStart = (end?.getTime() ?? now.getTime()) - bound.firstRowWithin;
    if (!firstRowAt) return new Date(lookbackStart);
    return new Date(Math.max(lookbackStart, Math.floor(firstRowAt.getTime() / 60_000) * 60_000));
  };
  const end = at(until);
  const window = { since: at(since, end), until: end };
  if (window.since.getTime() >= window.until.getTime()) {
    throw new WindowError(
      `--since (${window.since.toISOString()}) must be before --until (${window.until.toISOString()})`,
    );
  }
  if (window.until.getTime() - window.since.getTime() > MAX_WINDOW_MS) {
    throw new WindowError('The window is longer than 31 days: use the gold tables for long ranges');
  }
  return window;
}

/**
 * Checks what can be checked before the database's clock is known: two
 * durations, or two times, are in order and not too far apart.
 */
export function checkBounds(since: Bound, until: Bound): void {
  if ('firstRowWithin' in since || 'firstRowWithin' in until) return;
  if ('ago' in since === 'ago' in until) resolveWindow(new Date(), since, until);
}

/** `5 min`, `1 h 30 min`, `45 s`: the window's length for a human. */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, seconds] of [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / seconds);
    if (n > 0) parts.push(`${n} ${unit}`);
    rest -= n * seconds;
  }
  return parts.length > 0 ? parts.join(' ') : `${ms} ms`;
}
