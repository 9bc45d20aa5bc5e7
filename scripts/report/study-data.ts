/**
 * The report's data from a study result (npm run study): the distribution,
 * parts, throughput and completeness of one setting per consumer (the
 * stack's defaults where the sweep has them), and the whole sweep for the
 * trade-off charts.
 */
import path from 'node:path';
import { type StudyResult, type StudySetting, tableRows } from '../../bench/study/result.ts';
import { type CdfSeries, cdfPoints, type ReportData, type StudyPoint } from './report-data.ts';

/** The stack's batched consumer (cdk/config.ts): window 15 s, batch size 1,000. */
const DEFAULT_BATCH = { window: 15, size: 1000 };

export function labelOf(
  s: Pick<StudySetting, 'consumer' | 'mode' | 'batchingWindowSeconds' | 'batchSize'>,
): string {
  if (s.consumer === 'realtime')
    return s.mode === 'efo' ? 'realtime, enhanced fan-out' : 'realtime, standard';
  return `batch, window ${s.batchingWindowSeconds} s, size ${s.batchSize}`;
}

const loadOf = (s: StudySetting) =>
  s.load === 'original' ? 'original' : `${s.offeredPerSecond}/s`;

/** One setting per consumer and mode at the study's first load: what the distribution charts show. */
export function featuredSettings(result: StudyResult): StudySetting[] {
  const first = result.settings[0];
  if (!first) return [];
  const atLoad = result.settings.filter((s) => loadOf(s) === loadOf(first));
  const realtime = atLoad.filter((s) => s.consumer === 'realtime');
  const batch = atLoad.filter((s) => s.consumer === 'batch');
  const featuredBatch =
    batch.find(
      (s) => s.batchingWindowSeconds === DEFAULT_BATCH.window && s.batchSize === DEFAULT_BATCH.size,
    ) ??
    [...batch].sort(
      (a, b) => b.batchingWindowSeconds - a.batchingWindowSeconds || b.batchSize - a.batchSize,
    )[0];
  return [...realtime, ...(featuredBatch ? [featuredBatch] : [])];
}

export function studyReportData(result: StudyResult, file: string, generatedAt: Date): ReportData {
  const featured = featuredSettings(result);
  const load = featured[0] ? loadOf(featured[0]) : '';
  const bucket = featured[0]?.throughput.bucketSeconds ?? 10;
  const longest = Math.max(0, ...featured.map((s) => s.throughput.perBucket.length));
  const cdf: CdfSeries[] = featured.map((s) => ({
    label: labelOf(s),
    records: s.records,
    points: cdfPoints(s.latencySamplesMs),
  }));
  const settings: StudyPoint[] = result.settings.map((s) => ({
    id: s.id,
    consumer: s.consumer,
    mode: s.mode,
    batchingWindowSeconds: s.batchingWindowSeconds,
    batchSize: s.batchSize,
    load: loadOf(s),
    p50Ms: s.p50Ms,
    p95Ms: s.p95Ms,
    meanMs: s.meanMs,
    recordsPerSecond: s.recordsPerSecond,
    invocationsPer1000: s.invocationsPer1000,
    statementsPer1000: s.statementsPer1000,
    costPerMillionUsd: s.costPerMillionUsd,
    allInCostPerMillionUsd: s.allInCostPerMillionUsd,
    cpu: Math.round((s.cpu.runtime + s.cpu.kinesis + s.cpu.postgres) * 100) / 100,
  }));
  return {
    title: 'pricestream: per-record and micro-batch processing, compared',
    source: `Study ${path.basename(file)} (${result.startedAt}, ${result.settings.length} settings); distribution, parts, throughput and completeness of each consumer at the ${load} load.`,
    generatedAt: generatedAt.toISOString(),
    cdf,
    parts: featured.map((s) => ({
      label: labelOf(s),
      putMs: s.partsMeanMs.put,
      waitMs: s.partsMeanMs.wait,
      writeMs: s.partsMeanMs.write,
    })),
    throughput: {
      x: 'elapsed',
      points: Array.from({ length: longest }, (_, i) => i * bucket),
      series: featured.map((s) => ({
        label: labelOf(s),
        perMinute: Array.from({ length: longest }, (_, i) => {
          const n = s.throughput.perBucket[i];
          return n === undefined ? null : (n * 60) / bucket;
        }),
      })),
    },
    completeness: featured.map((s) => ({
      label: labelOf(s),
      written: s.records,
      expected: s.sent,
      // A study drains each setting before it counts: nothing is in flight.
      inFlight: 0,
    })),
    study: {
      file: path.basename(file),
      startedAt: result.startedAt,
      durationSeconds: result.durationSeconds,
      loadAverage: {
        before: result.machine.loadAverageBefore,
        after: result.machine.loadAverageAfter,
      },
      pricesReadOn: result.prices.readOn,
      region: result.prices.region,
      settings,
      table: tableRows(result),
    },
    reference: result.reference,
  };
}
