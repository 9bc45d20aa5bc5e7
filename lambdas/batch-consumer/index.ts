import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { type Clock, systemClock } from '../shared/clock.ts';
import { consumeBatch, decodeRecord } from '../shared/consume.ts';
import { type Db, sharedPool } from '../shared/db.ts';
import { createLogger } from '../shared/logger.ts';
import {
  createConsumerMetrics,
  type MetricsPort,
  publishConsumerMetrics,
} from '../shared/metrics.ts';

const logger = createLogger('batch-consumer');

/**
 * The batched-window ("Spark micro-batch") path: the whole batch in one
 * statement, so it is written entirely or not at all. A failure is a function
 * error: Lambda bisects the batch, which isolates a record the database
 * refuses, and retries the halves.
 */
export function createHandler(deps: {
  db: () => Promise<Db>;
  metrics?: MetricsPort;
  /** Receipt time, which the future-time check measures against. Default the system clock. */
  clock?: Clock;
}) {
  return async (
    event: KinesisStreamEvent,
    _context: Context,
  ): Promise<KinesisStreamBatchResponse> => {
    const receivedAt = new Date((deps.clock ?? systemClock)());
    const records = event.Records.map((record) => decodeRecord(record, receivedAt));
    // Until the statement commits, the whole batch counts as failed.
    let outcome = {
      written: 0,
      duplicates: 0,
      rejected: 0,
      failed: records.length,
      latenciesMs: [] as number[],
    };
    try {
      const { latenciesMs, ...result } = await consumeBatch(await deps.db(), 'batch', records);
      outcome = { ...result, failed: 0, latenciesMs };
      logger.info('records processed', {
        consumer: 'batch',
        records: records.length,
        ...result,
        failed: 0,
      });
      return { batchItemFailures: [] };
    } catch (error) {
      logger.error('batch not written; Lambda will retry it', {
        consumer: 'batch',
        records: records.length,
        error,
      });
      throw error;
    } finally {
      if (deps.metrics) publishConsumerMetrics(deps.metrics, outcome);
    }
  };
}

export const handler = createHandler({ db: sharedPool, metrics: createConsumerMetrics('batch') });
