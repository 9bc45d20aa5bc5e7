import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ENV, optionalEnv } from './env.ts';
import type { ConsumerName } from './silver-store.ts';
import type { TickSummary } from './tick.ts';

/**
 * The functions' CloudWatch metrics, written as Embedded Metric Format (EMF)
 * lines on stdout by Powertools Metrics: CloudWatch Logs turns them into
 * metrics on AWS, the local runtime's dashboard reads the same lines.
 *
 * Every function publishes once per invocation, at its end, success or not.
 * Dimensions are few on purpose (each combination is a billed metric):
 * `service` always, `consumer` for the consumers, `symbol` for fetch-prices,
 * `granularity` for the rollup.
 */

/** Metric names: the contract between the functions and the dashboards. */
export const METRIC = {
  /** Consumers: processed_at − fetched_at of each row written, ms. */
  endToEndLatency: 'EndToEndLatency',
  recordsWritten: 'RecordsWritten',
  recordsRejected: 'RecordsRejected',
  duplicatesSkipped: 'DuplicatesSkipped',
  /** Records handed back to Lambda for a retry (or the whole batch when it failed). */
  recordsFailed: 'RecordsFailed',
  /** fetch-prices, per symbol: priced and put on the stream, or not. */
  fetchSuccess: 'FetchSuccess',
  fetchFailure: 'FetchFailure',
  /**
   * fetch-prices, all symbols together (dimension `service` only): what the
   * failure-ratio alarm divides, one metric pair whatever the symbols.
   */
  fetchesAttempted: 'FetchesAttempted',
  fetchesFailed: 'FetchesFailed',
  /** rollup, per granularity. */
  rollupBuckets: 'RollupBuckets',
  rollupDuration: 'RollupDuration',
  rollupFailures: 'RollupFailures',
  /** realtime-consumer's optional Timestream mirror. */
  timestreamRecordsWritten: 'TimestreamRecordsWritten',
  timestreamRecordsRejected: 'TimestreamRecordsRejected',
  timestreamWriteFailures: 'TimestreamWriteFailures',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** The namespace the stack sets (`metricsNamespace`, default `Pricestream`). */
export const DEFAULT_METRICS_NAMESPACE = 'Pricestream';

/** What handlers need from Powertools Metrics: a narrow port, so a test can hand in its own. */
export type MetricsPort = Pick<
  Metrics,
  'addMetric' | 'addDimension' | 'publishStoredMetrics' | 'hasStoredMetrics' | 'clearMetrics'
>;

/**
 * One Metrics instance per function (module scope). Default dimensions stay
 * on every document, including the ones Powertools flushes early when a
 * metric reaches 100 values (a batch of more than 100 latencies).
 */
export function createMetrics(
  serviceName: string,
  defaultDimensions: Record<string, string> = {},
  env: Record<string, string | undefined> = process.env,
): Metrics {
  return new Metrics({
    namespace: optionalEnv(ENV.metricsNamespace, env) ?? DEFAULT_METRICS_NAMESPACE,
    serviceName: optionalEnv(ENV.serviceName, env) ?? serviceName,
    defaultDimensions,
  });
}

/** A consumer's metrics: dimensions service and consumer. */
export function createConsumerMetrics(consumer: ConsumerName): Metrics {
  return createMetrics(`${consumer}-consumer`, { consumer });
}

/** Publishes what is stored, unless nothing is (Powertools would warn about an empty document). */
export function publish(metrics: MetricsPort): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

export interface ConsumerOutcome {
  written: number;
  duplicates: number;
  rejected: number;
  failed: number;
  /** One value per row written. */
  latenciesMs: readonly number[];
}

/** One invocation of a consumer. Counts are published even when zero, so a quiet minute reads 0, not "no data". */
export function publishConsumerMetrics(metrics: MetricsPort, outcome: ConsumerOutcome): void {
  metrics.addMetric(METRIC.recordsWritten, MetricUnit.Count, outcome.written);
  metrics.addMetric(METRIC.recordsRejected, MetricUnit.Count, outcome.rejected);
  metrics.addMetric(METRIC.duplicatesSkipped, MetricUnit.Count, outcome.duplicates);
  metrics.addMetric(METRIC.recordsFailed, MetricUnit.Count, outcome.failed);
  // Every value, not an average: CloudWatch computes the percentiles from them.
  for (const ms of outcome.latenciesMs) {
    if (Number.isFinite(ms)) {
      metrics.addMetric(METRIC.endToEndLatency, MetricUnit.Milliseconds, Math.max(0, ms));
    }
  }
  publish(metrics);
}

export interface TimestreamOutcome {
  written: number;
  rejected: number;
  failed: number;
}

/** Added to the consumer's document, before publishConsumerMetrics. */
export function addTimestreamMetrics(metrics: MetricsPort, outcome: TimestreamOutcome): void {
  metrics.addMetric(METRIC.timestreamRecordsWritten, MetricUnit.Count, outcome.written);
  metrics.addMetric(METRIC.timestreamRecordsRejected, MetricUnit.Count, outcome.rejected);
  metrics.addMetric(METRIC.timestreamWriteFailures, MetricUnit.Count, outcome.failed);
}

/** Successes and failures per symbol over the ticks of one invocation. */
export function fetchOutcomes(
  symbols: readonly string[],
  ticks: readonly TickSummary[],
): Map<string, { success: number; failure: number }> {
  const counts = new Map(symbols.map((s) => [s, { success: 0, failure: 0 }]));
  for (const tick of ticks) {
    const failed = new Set([
      ...tick.skipped.map((s) => s.symbol),
      ...tick.failed.map((f) => f.symbol),
    ]);
    for (const symbol of symbols) {
      const entry = counts.get(symbol) as { success: number; failure: number };
      if (failed.has(symbol)) entry.failure++;
      else entry.success++;
    }
  }
  return counts;
}

/**
 * fetch-prices: one document per symbol (a document holds one value per
 * dimension), then one with the totals and no symbol, all published together
 * at the end of the invocation.
 */
export function publishFetchMetrics(
  metrics: MetricsPort,
  symbols: readonly string[],
  ticks: readonly TickSummary[],
): void {
  let attempted = 0;
  let failed = 0;
  for (const [symbol, { success, failure }] of fetchOutcomes(symbols, ticks)) {
    metrics.addDimension('symbol', symbol);
    metrics.addMetric(METRIC.fetchSuccess, MetricUnit.Count, success);
    metrics.addMetric(METRIC.fetchFailure, MetricUnit.Count, failure);
    publish(metrics);
    attempted += success + failure;
    failed += failure;
  }
  metrics.addMetric(METRIC.fetchesAttempted, MetricUnit.Count, attempted);
  metrics.addMetric(METRIC.fetchesFailed, MetricUnit.Count, failed);
  publish(metrics);
}

/** rollup: buckets recomputed and run time, or a failure. */
export function publishRollupMetrics(
  metrics: MetricsPort,
  granularity: string | undefined,
  outcome: { buckets: number; durationMs: number } | { failed: true },
): void {
  if (granularity !== undefined) metrics.addDimension('granularity', granularity);
  if ('failed' in outcome) {
    metrics.addMetric(METRIC.rollupFailures, MetricUnit.Count, 1);
  } else {
    metrics.addMetric(METRIC.rollupFailures, MetricUnit.Count, 0);
    metrics.addMetric(METRIC.rollupBuckets, MetricUnit.Count, outcome.buckets);
    metrics.addMetric(METRIC.rollupDuration, MetricUnit.Milliseconds, outcome.durationMs);
  }
  publish(metrics);
}
