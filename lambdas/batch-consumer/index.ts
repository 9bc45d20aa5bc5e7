import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { consumeBatch, decodeRecord } from '../shared/consume.ts';
import { type Db, sharedPool } from '../shared/db.ts';
import { createLogger } from '../shared/logger.ts';

const logger = createLogger('batch-consumer');

/**
 * The batched-window ("Spark micro-batch") path: the whole batch in one
 * statement, so it is written entirely or not at all. A failure is a function
 * error: Lambda bisects the batch, which isolates a record the database
 * refuses, and retries the halves.
 */
export function createHandler(deps: { db: () => Promise<Db> }) {
  return async (
    event: KinesisStreamEvent,
    _context: Context,
  ): Promise<KinesisStreamBatchResponse> => {
    const receivedAt = new Date();
    const records = event.Records.map((record) => decodeRecord(record, receivedAt));
    try {
      const result = await consumeBatch(await deps.db(), 'batch', records);
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
    }
  };
}

export const handler = createHandler({ db: sharedPool });
