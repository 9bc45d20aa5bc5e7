/**
 * The report's data from the database over a window: the compare report's
 * figures (sql/reports/) plus the latency CDF of each consumer.
 */

import { ORIGINAL_STUDY } from '../../bench/study/reference.ts';
import type { Db } from '../../lambdas/shared/db.ts';
import { readSql } from '../../lambdas/shared/sql.ts';
import { CONSUMERS, type CompareReport } from './compare.ts';
import type { CdfSeries, ReportData } from './report-data.ts';

interface CdfRow {
  consumer: string;
  records: number;
  share: number;
  latency_ms: number;
}

/** Each consumer's CDF over the window, from sql/reports/latency_cdf.sql. */
export async function latencyCdf(db: Db, since: Date, until: Date): Promise<CdfSeries[]> {
  const { rows } = await db.query<CdfRow>(readSql('reports/latency_cdf.sql'), [since, until]);
  return CONSUMERS.flatMap((consumer) => {
    const mine = rows.filter((r) => r.consumer === consumer);
    if (mine.length === 0) return [];
    return [
      {
        label: consumer,
        records: mine[0]?.records ?? 0,
        points: mine.map((r): [number, number] => [r.latency_ms, r.share]),
      },
    ];
  });
}

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
    completeness: CONSUMERS.map((consumer) => ({
      label: consumer,
      written: report.completeness.events - report.completeness.missingFrom[consumer].count,
      expected: report.completeness.events,
    })),
    study: null,
    reference: ORIGINAL_STUDY,
  };
}
