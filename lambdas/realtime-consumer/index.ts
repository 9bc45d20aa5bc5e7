import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import { type Clock, systemClock } from '../shared/clock.ts';
import { type ConsumeResult, consumeOne, decodeRecord } from '../shared/consume.ts';
import { type Db, sharedPool } from '../shared/db.ts';
import { createLogger } from '../shared/logger.ts';
import {
  addTimestreamMetrics,
  createConsumerMetrics,
  type MetricsPort,
  publishConsumerMetrics,
} from '../shared/metrics.ts';
import type { PriceEvent } from '../shared/price-event.ts';
import {
  createTimestreamMirror,
  type TimestreamMirror,
  timestreamSettingsFromEnv,
} from '../shared/timestream.ts';

const logger = createLogger('realtime-consumer');
const processor = new BatchProcessor(EventType.KinesisDataStreams);

/**
 * The per-record ("Flink-like") path: one INSERT per record. Bad data lands in
 * silver.rejected_events; a record the database could not take is reported
 * as failed, so Lambda retries from it (and bisects when all failed).
 *
 * Metrics are published once, at the end of the invocation. The optional
 * Timestream mirror gets the rows PostgreSQL took; it never throws.
 */
export function createHandler(deps: {
  db: () => Promise<Db>;
  metrics?: MetricsPort;
  timestream?: TimestreamMirror;
  /** Receipt time, which the future-time check measures against. Default the system clock. */
  clock?: Clock;
}) {
  return async (
    event: KinesisStreamEvent,
    context: Context,
  ): Promise<KinesisStreamBatchResponse> => {
    const receivedAt = new Date((deps.clock ?? systemClock)());
    const totals: ConsumeResult = { written: 0, duplicates: 0, rejected: 0 };
    const latenciesMs: number[] = [];
    const written: PriceEvent[] = [];
    let failed = event.Records.length;
    const recordHandler = async (record: KinesisStreamRecord) => {
      const result = await consumeOne(
        await deps.db(),
        'realtime',
        decodeRecord(record, receivedAt),
      );
      totals.written += result.written;
      totals.duplicates += result.duplicates;
      totals.rejected += result.rejected;
      latenciesMs.push(...result.latenciesMs);
      if (result.writtenEvent) written.push(result.writtenEvent);
    };
    try {
      const response = await processPartialResponse(event, recordHandler, processor, {
        context,
        processInParallel: false, // a shard's records stay in order
      });
      failed = response.batchItemFailures.length;
      logger.info('records processed', {
        consumer: 'realtime',
        records: event.Records.length,
        ...totals,
        failed,
      });
      return response;
    } catch (error) {
      logger.error('no record written; Lambda will retry the batch', {
        consumer: 'realtime',
        records: event.Records.length,
        error,
      });
      throw error;
    } finally {
      // After PostgreSQL, whatever it said: the mirror is best effort.
      const mirrored = deps.timestream ? await mirror(deps.timestream, written) : undefined;
      if (deps.metrics) {
        if (mirrored) addTimestreamMetrics(deps.metrics, mirrored);
        publishConsumerMetrics(deps.metrics, { ...totals, failed, latenciesMs });
      }
    }
  };
}

/** The mirror reports its own failures; this only guards the consumer against a bug in it. */
async function mirror(timestream: TimestreamMirror, events: PriceEvent[]) {
  try {
    return await timestream(events);
  } catch (error) {
    logger.warn('Timestream mirror failed; PostgreSQL has the rows', { error });
    return { written: 0, rejected: 0, failed: events.length };
  }
}

// Cold start: metrics and, when configured, the Timestream client once per environment.
const timestreamSettings = timestreamSettingsFromEnv();

export const handler = createHandler({
  db: sharedPool,
  metrics: createConsumerMetrics('realtime'),
  ...(timestreamSettings
    ? { timestream: await createTimestreamMirror(timestreamSettings, logger) }
    : {}),
});
