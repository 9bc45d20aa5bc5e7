/**
 * The one way the reports write a time: UTC, 24-hour, ISO order
 * (`2026-11-25 17:00:00 UTC`), whatever the machine's zone and locale, in
 * `npm run compare`, `npm run report` and the CloudWatch custom widgets.
 */

export type TimePrecision = 'minute' | 'second' | 'millisecond';

/** `2026-11-25 17:00` (minute), `2026-11-25 17:00:05` (second), `…:05.123` (millisecond). */
export function formatUtc(
  time: Date | string | number,
  precision: TimePrecision = 'second',
): string {
  const iso = new Date(time).toISOString();
  const end = precision === 'minute' ? 16 : precision === 'second' ? 19 : 23;
  return `${iso.slice(0, 10)} ${iso.slice(11, end)}`;
}

/** The clock part only: `17:00:05`. */
export function formatUtcClock(
  time: Date | string | number,
  precision: TimePrecision = 'second',
): string {
  return formatUtc(time, precision).slice(11);
}

/** A range: `2026-11-25 17:00:00 → 17:05:00 UTC`, the date once when both ends share it. */
export function formatUtcRange(from: Date | string, to: Date | string): string {
  const a = formatUtc(from);
  const b = formatUtc(to);
  return `${a} → ${a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b} UTC`;
}
