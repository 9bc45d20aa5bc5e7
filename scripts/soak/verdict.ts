/**
 * npm run soak's rows and whether a figure keeps growing: the median of its
 * last retention period against the median of the first retention period
 * after the first one (when the stream has filled to its retention).
 */
import { percentiles } from '../../bench/stats.ts';

export interface SoakRow {
  /** Seconds since production started, at the end of the row's interval. */
  at: number;
  /** Records the stream holds (every shard read from TRIM_HORIZON). */
  streamRecords: number | null;
  /** kinesis-local's save file, MB. */
  saveMb: number | null;
  /** Median of the interval's 5-entry PutRecords (one every 3 s), ms. */
  put5Ms: number | null;
  /** End-to-end latency (processed - fetched) of the interval's events, ms. */
  realtimeP50Ms: number | null;
  realtimeP95Ms: number | null;
  batchP50Ms: number | null;
  batchP95Ms: number | null;
  kinesisRssMb: number | null;
  runtimeRssMb: number | null;
  /**
   * Private memory of the PostgreSQL processes, summed (their shared buffers
   * left out: they fill up to shared_buffers as silver.prices grows).
   */
  postgresMb: number | null;
  /** Proportional set size of the PostgreSQL processes, summed (shared buffers included). */
  postgresPssMb: number | null;
  /** Numbered events acknowledged so far. */
  produced: number;
}

export type Figure = Exclude<
  keyof SoakRow,
  'at' | 'produced' | 'realtimeP50Ms' | 'batchP50Ms' | 'postgresPssMb'
>;

/**
 * What may not grow, with the margin allowed beyond 20 %: small absolute
 * noise on small figures (a few ms, a few MB) is not growth.
 */
export const WATCHED: Record<Figure, { label: string; margin: number }> = {
  streamRecords: { label: 'records the stream holds', margin: 50 },
  saveMb: { label: 'kinesis-local save, MB', margin: 1 },
  put5Ms: { label: '5-entry put, ms', margin: 5 },
  realtimeP95Ms: { label: 'realtime p95, ms', margin: 250 },
  batchP95Ms: { label: 'batch p95, ms', margin: 1_000 },
  kinesisRssMb: { label: 'kinesis-local RSS, MB', margin: 20 },
  runtimeRssMb: { label: 'runtime RSS, MB', margin: 20 },
  postgresMb: { label: 'PostgreSQL private memory, MB', margin: 20 },
};

export interface Growth {
  figure: Figure;
  label: string;
  reference: number;
  final: number;
  limit: number;
}

/** The interpolated median (null for no values). */
export function median(values: readonly number[]): number | null {
  return percentiles(values)?.p50 ?? null;
}

/**
 * The rows of the reference window (the second retention period: the first
 * one fills the stream) and of the final one (the last retention period).
 * Rows further apart than the retention (`--every 300`): the first row after
 * the first retention period, and the last row.
 */
export function windows(
  rows: readonly SoakRow[],
  retentionSeconds: number,
): { reference: SoakRow[]; final: SoakRow[] } {
  const end = rows.at(-1)?.at ?? 0;
  const reference = rows.filter(
    (row) => row.at > retentionSeconds && row.at <= 2 * retentionSeconds,
  );
  const firstFull = rows.find((row) => row.at > retentionSeconds);
  const final = rows.filter(
    (row) => row.at > Math.max(2 * retentionSeconds, end - retentionSeconds),
  );
  const last = rows.at(-1);
  return {
    reference: reference.length > 0 ? reference : firstFull ? [firstFull] : [],
    final: final.length > 0 || !last || last === firstFull ? final : [last],
  };
}

/** The figures whose final median is above 120 % of the reference median plus their margin. */
export function growth(rows: readonly SoakRow[], retentionSeconds: number): Growth[] {
  const { reference, final } = windows(rows, retentionSeconds);
  const found: Growth[] = [];
  for (const [figure, { label, margin }] of Object.entries(WATCHED) as Array<
    [Figure, (typeof WATCHED)[Figure]]
  >) {
    const values = (window: SoakRow[]) =>
      window.flatMap((row) => (row[figure] === null ? [] : [row[figure] as number]));
    const before = median(values(reference));
    const after = median(values(final));
    if (before === null || after === null) continue;
    const limit = before * 1.2 + margin;
    if (after > limit) found.push({ figure, label, reference: before, final: after, limit });
  }
  return found;
}
