import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import { type ConsumeResult, consumeOne, decodeRecord } from '../shared/consume.ts';
import { type Db, sharedPool } from '../shared/db.ts';
import { createLogger } from '../shared/logger.ts';

const logger = createLogger('realtime-consumer');
const processor = new BatchProcessor(EventType.KinesisDataStreams);

/**
 * The per-record ("Flink-like") path: one INSERT per record. Bad data lands in
 * silver.rejected_events; a record the database could not take is reported
 * as failed, so Lambda retries from it (and bisects when all failed).
 */
export function createHandler(deps: { db: () => Promise<Db> }) {
  return async (
    event: KinesisStreamEvent,
    context: Context,
  ): Promise<KinesisStreamBatchResponse> => {
    const receivedAt = new Date();
    const totals: ConsumeResult = { written: 0, duplicates: 0, rejected: 0 };
    const recordHandler = async (record: KinesisStreamRecord) => {
      const result = await consumeOne(
        await deps.db(),
        'realtime',
        decodeRecord(record, receivedAt),
      );
      totals.written += result.written;
      totals.duplicates += result.duplicates;
      totals.rejected += result.rejected;
    };
    try {
      const response = await processPartialResponse(event, recordHandler, processor, {
        context,
        processInParallel: false, // a shard's records stay in order
      });
      logger.info('records processed', {
        consumer: 'realtime',
        records: event.Records.length,
        ...totals,
        failed: response.batchItemFailures.length,
      });
      return response;
    } catch (error) {
      logger.error('no record written; Lambda will retry the batch', {
        consumer: 'realtime',
        records: event.Records.length,
        error,
      });
      throw error;
    }
  };
}

export const handler = createHandler({ db: sharedPool });
