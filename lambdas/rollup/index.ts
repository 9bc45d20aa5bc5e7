import type { Context } from 'aws-lambda';
import { sharedPool } from '../shared/db.ts';
import { createLogger } from '../shared/logger.ts';
import { createMetrics, type MetricsPort, publishRollupMetrics } from '../shared/metrics.ts';
import {
  parseGranularity,
  type RollupDb,
  RollupRequestError,
  type RollupResult,
  runRollup,
} from '../shared/rollup.ts';
import { type RollupConfig, readRollupConfig } from './config.ts';

const logger = createLogger('rollup');

/** The scheduled event: each rule's Input names the granularity. */
export interface RollupEvent {
  granularity: '10m' | '1h';
}

/** Time kept back from the function timeout, so a run ends with a clear error instead of a kill. */
const MARGIN_MS = 5_000;

/**
 * One granularity per invocation, as the schedule's Input says. A bad event is
 * a RollupRequestError naming what was wrong; a failed run has rolled back
 * (gold and its high-water mark as they were) and is thrown, so the next
 * schedule redoes its work.
 */
export function createHandler(
  config: RollupConfig,
  deps: { db: () => Promise<RollupDb>; metrics?: MetricsPort },
) {
  return async (event: unknown, context: Context): Promise<RollupResult> => {
    let granularity: RollupEvent['granularity'];
    try {
      granularity = parseRollupEvent(event);
    } catch (error) {
      logger.error('invalid rollup event', { event, error });
      if (deps.metrics) publishRollupMetrics(deps.metrics, undefined, { failed: true });
      throw error;
    }
    try {
      const result = await runRollup(await deps.db(), {
        granularity,
        sourceConsumer: config.sourceConsumer,
        statementTimeoutMs: Math.max(1_000, context.getRemainingTimeInMillis() - MARGIN_MS),
      });
      logger.info('rollup done', { ...result });
      if (deps.metrics) {
        publishRollupMetrics(deps.metrics, granularity, {
          buckets: result.recomputed,
          durationMs: result.durationMs,
        });
      }
      return result;
    } catch (error) {
      logger.error('rollup failed; gold and its high-water mark are unchanged', {
        granularity,
        error,
      });
      if (deps.metrics) publishRollupMetrics(deps.metrics, granularity, { failed: true });
      throw error;
    }
  };
}

export function parseRollupEvent(event: unknown): RollupEvent['granularity'] {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new RollupRequestError(
      `rollup event must be an object like {"granularity":"10m"}, got ${JSON.stringify(event)}`,
    );
  }
  return parseGranularity((event as Record<string, unknown>).granularity);
}

// Cold start: configuration and metrics once per environment; the pool on first use.
export const handler = createHandler(readRollupConfig(), {
  db: sharedPool,
  metrics: createMetrics('rollup'),
});
