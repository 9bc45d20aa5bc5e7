/**
 * Time ranges cut into round buckets, the same for the local dashboard and the
 * CloudWatch custom widgets (the reports function), so both draw a widget's
 * query on the same grid.
 */

export interface TimeRange {
  from: Date;
  to: Date;
}

const STEPS = [
  10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
];

/** A round bucket width giving about `target` buckets, never finer than `minSeconds`. */
export function bucketSeconds(range: TimeRange, minSeconds = 10, target = 120): number {
  const raw = (range.to.getTime() - range.from.getTime()) / 1000 / target;
  const step = STEPS.find((s) => s >= raw) ?? 86_400;
  return Math.max(step, minSeconds);
}

/** The bucket starts (epoch seconds, aligned on the epoch) covering the range. */
export function bucketGrid(range: TimeRange, seconds: number): number[] {
  const first = Math.floor(range.from.getTime() / 1000 / seconds) * seconds;
  const end = range.to.getTime() / 1000;
  const grid: number[] = [];
  for (let t = first; t < end; t += seconds) grid.push(t);
  return grid;
}
