/**
 * The on-failure destination of an event source mapping. On AWS Lambda sends
 * a JSON document (no record data) to an SQS queue or SNS topic; locally the
 * same document goes into the table local_runtime.dead_letters.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { type Clock, systemClock } from '../../lambdas/shared/clock.ts';
import { localSql } from '../shared/local-sql.ts';
import type { GivenUp } from './batch-retry.ts';
import type { ShardRecord } from './kinesis-event.ts';

export interface DeadLetterTarget {
  mappingId: string;
  functionName: string;
  functionArn: string;
  streamArn: string;
  /** The template's OnFailure destination ARN (an SQS queue on AWS). */
  destinationArn: string | undefined;
}

/** The document AWS sends to an on-failure destination for a Kinesis batch. */
export interface KinesisFailureDocument {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: GivenUp['condition'];
    approximateInvokeCount: number;
  };
  responseContext: {
    statusCode: number;
    executedVersion: string;
    functionError?: string;
  };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export function failureDocument(
  target: DeadLetterTarget,
  records: readonly ShardRecord[],
  why: GivenUp,
  now = new Date(),
): KinesisFailureDocument {
  const first = records[0];
  const last = records.at(-1);
  if (!first || !last) throw new Error('a dead letter needs at least one record');
  const outcome = why.lastOutcome;
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: target.functionArn,
      condition: why.condition,
      approximateInvokeCount: why.approximateInvokeCount,
    },
    responseContext: {
      // 0: the batch was never delivered (its records were already too old).
      statusCode: outcome === undefined ? 0 : 200,
      executedVersion: '$LATEST',
      ...(outcome && !outcome.ok ? { functionError: 'Unhandled' } : {}),
    },
    version: '1.0',
    timestamp: now.toISOString(),
    KinesisBatchInfo: {
      shardId: first.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: first.approximateArrivalTimestamp.toISOString(),
      approximateArrivalOfLastRecord: last.approximateArrivalTimestamp.toISOString(),
      batchSize: records.length,
      streamArn: target.streamArn,
    },
  };
}

export class DeadLetterStore {
  constructor(
    private readonly db: Pick<pg.Pool, 'query'>,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Writes the row; returns its id. */
  async write(
    target: DeadLetterTarget,
    records: readonly ShardRecord[],
    why: GivenUp,
  ): Promise<string> {
    const document = failureDocument(target, records, why, new Date(this.clock()));
    const info = document.KinesisBatchInfo;
    const outcome = why.lastOutcome;
    const error =
      outcome === undefined
        ? null
        : outcome.ok
          ? 'reported as failed in batchItemFailures'
          : `${outcome.error.name}: ${outcome.error.message}`;
    const { rows } = await this.db.query<{ id: string }>(localSql('insert-dead-letter'), [
      target.mappingId,
      target.functionName,
      target.destinationArn ?? null,
      target.streamArn,
      info.shardId,
      info.startSequenceNumber,
      info.endSequenceNumber,
      info.batchSize,
      info.approximateArrivalOfFirstRecord,
      info.approximateArrivalOfLastRecord,
      why.condition,
      error,
      why.approximateInvokeCount,
      JSON.stringify(document),
    ]);
    return String(rows[0]?.id);
  }
}
