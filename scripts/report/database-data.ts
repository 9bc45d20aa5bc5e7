/**
 * The report's data from the database over a window: the compare report's
 * figures (sql/reports/) plus the latency CDF of each consumer.
 */

import { ORIGINAL_STUDY } from '../../bench/study/reference.ts';
import { CONSUMERS, type CompareReport } from '../../lambdas/shared/compare-report.ts';

export { latencyCdf } from '../../lambdas/shared/compare-report.ts';

import type { CdfSeries, ReportData } from './report-data.ts';

export function databaseReportData(
  report: CompareReport,
  cdf: CdfSeries[],
  server: string,
): ReportData {
  const consumers = CONSUMERS.filter((c) => report.consumers[c].records > 0);
  return {
    title: 'pricestream: per-record and micro-batch processing, compared',
    source: `silver.prices on ${server}, rows processed from ${report.window.since} to ${report.window.until}.`,
    generatedAt: report.generatedAt,
    cdf,
    parts: consumers.map((consumer) => {
      const parts = report.consumers[consumer].latencyPartsMs;
      return {
        label: consumer,
        putMs: parts?.fetchedToIngested.avg ?? 0,
        waitMs: parts?.ingestedToReceived.avg ?? 0,
        writeMs: parts?.receivedToProcessed.avg ?? 0,
      };
    }),
    throughput: {
      x: 'time',
      points: report.perMinute.map((m) => Math.round(new Date(m.minute).getTime() / 1000)),
      series: CONSUMERS.map((consumer) => ({
        label: consumer,
        perMinute: report.perMinute.map((m) => m[consumer]),
      })),
    },
    completeness: CONSUMERS.map((consumer) => {
      const { count, inFlight } = report.completeness.missingFrom[consumer];
      const expected = report.completeness.events - inFlight;
      return { label: consumer, written: expected - count, expected, inFlight };
    }),
    study: null,
    reference: ORIGINAL_STUDY,
  };
}
