/**
 * The on-failure destination of an event source mapping. On AWS Lambda sends
 * a JSON document to the destination: to an SQS queue or SNS topic without
 * the records, to an S3 bucket with the whole invocation (`payload`). Locally
 * the S3 form goes into the table local_runtime.dead_letters, so a dead
 * letter keeps its records and can be redriven (redrive.ts).
 */
import { randomUUID } from 'node:crypto';
import type { KinesisStreamEvent } from 'aws-lambda';
import type pg from 'pg';
import { type Clock, systemClock } from '../../lambdas/shared/clock.ts';
import { localSql } from '../shared/local-sql.ts';
import type { GivenUp } from './batch-retry.ts';
import { type EventSourceIdentity, type ShardRecord, toKinesisEvent } from './kinesis-event.ts';

export interface DeadLetterTarget {
  mappingId: string;
  functionName: string;
  functionArn: string;
  streamArn: string;
  /** The template's OnFailure destination ARN (an SQS queue or S3 bucket on AWS). */
  destinationArn: string | undefined;
  /** Who the event was for: it goes into the kept invocation as Lambda built it. */
  identity: EventSourceIdentity;
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
  /** The invocation the batch was (or would have been) sent with: what an S3 destination keeps. */
  payload: KinesisStreamEvent;
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
    payload: toKinesisEvent(records, target.identity),
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
