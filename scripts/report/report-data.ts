/**
 * What the HTML report draws, whatever it was read from (the database over a
 * window, or a study result): plain data, embedded in the page as JSON.
 * Latencies in milliseconds.
 */
import type { ORIGINAL_STUDY } from '../../bench/study/reference.ts';

export interface CdfSeries {
  label: string;
  records: number;
  /** [latency ms, share of rows at or below it], ascending. */
  points: Array<[number, number]>;
}

export interface PartsBar {
  label: string;
  /** Means, so the three add up to the mean latency. */
  putMs: number;
  waitMs: number;
  writeMs: number;
}

export interface ThroughputChart {
  /** `time`: x is epoch seconds; `elapsed`: seconds since the load started. */
  x: 'time' | 'elapsed';
  points: number[];
  series: Array<{ label: string; perMinute: Array<number | null> }>;
}

export interface CompletenessBar {
  label: string;
  written: number;
  /** Events it was sent and should have written by now: in-flight ones left out. */
  expected: number;
  /** Events still on their way to it (younger than its batching window and poll), shown apart. */
  inFlight: number;
}

export interface StudyPoint {
  id: string;
  consumer: 'realtime' | 'batch';
  mode: string;
  batchingWindowSeconds: number;
  batchSize: number;
  load: string;
  p50Ms: number | null;
  p95Ms: number | null;
  meanMs: number | null;
  recordsPerSecond: number;
  invocationsPer1000: number;
  statementsPer1000: number;
  costPerMillionUsd: number;
  allInCostPerMillionUsd: number;
  cpu: number;
}

export interface StudySection {
  file: string;
  startedAt: string;
  durationSeconds: number;
  loadAverage: { before: number[]; after: number[] };
  pricesReadOn: string;
  region: string;
  settings: StudyPoint[];
  /** The study's table as the terminal and the README show it. */
  table: { headers: string[]; rows: string[][] };
}

export interface ReportData {
  title: string;
  /** Where the figures come from, in one sentence. */
  source: string;
  generatedAt: string;
  cdf: CdfSeries[];
  parts: PartsBar[];
  throughput: ThroughputChart;
  completeness: CompletenessBar[];
  study: StudySection | null;
  reference: typeof ORIGINAL_STUDY;
}

/** At most `max` points of an empirical CDF of `samples`, first and last included. */
export function cdfPoints(samples: readonly number[], max = 300): Array<[number, number]> {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return [];
  const step = Math.max(1, Math.ceil(n / max));
  const points: Array<[number, number]> = [];
  for (let i = 0; i < n; i += step) points.push([sorted[i] as number, (i + 1) / n]);
  if (points.at(-1)?.[1] !== 1) points.push([sorted[n - 1] as number, 1]);
  return points;
}
