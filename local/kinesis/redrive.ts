/**
 * Redrive: a dead-lettered batch is delivered to its function again, through
 * the path a normal batch takes (the same KinesisStreamEvent, partial batch
 * responses, bisection and retries of processLane), and marked redriven. The
 * sink is idempotent (unique event ids), so a batch delivered twice is
 * stored once.
 *
 * The batch comes from the dead letter's `payload`: the invocation an S3
 * on-failure destination keeps on AWS, and the local dead-letter table keeps
 * too.
 */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type pg from 'pg';
import type { TimerClock } from '../../lambdas/shared/clock.ts';
import type { BackoffOptions } from '../shared/backoff.ts';
import { localSql } from '../shared/local-sql.ts';
import { type InvokeOutcome, processLane } from './batch-retry.ts';
import { type EventSourceIdentity, type ShardRecord, toKinesisEvent } from './kinesis-event.ts';

export class RedriveError extends Error {
  override name = 'RedriveError';
}

/** A dead letter waiting to be redriven. */
export interface DeadLetter {
  id: string;
  mappingId: string;
  functionName: string;
  shardId: string;
  batchSize: number;
  reason: string;
  /** The on-failure document, with the invocation in `payload`. */
  document: { payload?: unknown; requestContext?: { functionArn?: string } };
}

/** The batch a dead letter keeps, as the records the mapping read. */
export function recordsOf(document: DeadLetter['document']): {
  records: ShardRecord[];
  identity: EventSourceIdentity;
} {
  let payload = document.payload;
  // S3 keeps the invocation as JSON text; the local table as JSON.
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload);
    } catch {
      throw new RedriveError('its payload is not JSON');
    }
  }
  const events = (payload as Partial<KinesisStreamEvent> | undefined)?.Records;
  if (!Array.isArray(events) || events.length === 0) {
    throw new RedriveError(
      'it keeps no records (a dead letter from before records were kept, or from an SQS destination)',
    );
  }
  const first = events[0] as KinesisStreamRecord;
  return {
    identity: {
      eventSourceArn: first.eventSourceARN,
      awsRegion: first.awsRegion,
      invokeIdentityArn: first.invokeIdentityArn,
    },
    records: events.map((event: KinesisStreamRecord) => ({
      shardId: event.eventID.split(':')[0] ?? '',
      sequenceNumber: event.kinesis.sequenceNumber,
      partitionKey: event.kinesis.partitionKey,
      data: Buffer.from(event.kinesis.data, 'base64'),
      approximateArrivalTimestamp: new Date(event.kinesis.approximateArrivalTimestamp * 1000),
    })),
  };
}

export interface RedrivePolicy {
  /** Retries of a failed (part of the) batch. */
  maximumRetryAttempts: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
  backoff?: BackoffOptions;
}

export type RedriveOutcome = { ok: true; invocations: number } | { ok: false; error: string };

/**
 * Delivers the dead letter's batch to `invoke` until every record succeeded
 * or the retries ran out. Records are not given up for their age: they come
 * from the dead letter, not the stream.
 */
export async function redriveBatch(
  deadLetter: DeadLetter,
  deps: {
    invoke(event: KinesisStreamEvent): Promise<unknown>;
    policy: RedrivePolicy;
    signal: AbortSignal;
    /** What the retries' backoff waits on. */
    clock: TimerClock;
  },
): Promise<RedriveOutcome> {
  const { records, identity } = recordsOf(deadLetter.document);
  let invocations = 0;
  let failure: string | undefined;
  await processLane(
    records,
    {
      ...deps.policy,
      maximumRecordAgeSeconds: -1,
      retentionMs: Number.POSITIVE_INFINITY,
    },
    {
      invoke: async (batch): Promise<InvokeOutcome> => {
        invocations++;
        try {
          return { ok: true, response: await deps.invoke(toKinesisEvent(batch, identity)) };
        } catch (error) {
          const { name, message } =
            error instanceof Error ? error : { name: 'Error', message: String(error) };
          return { ok: false, error: { name, message } };
        }
      },
      giveUp: async (batch, why) => {
        const last = why.lastOutcome;
        const cause =
          last === undefined
            ? why.condition
            : last.ok
              ? 'the function reported records as failed'
              : `${last.error.name}: ${last.error.message}`;
        failure ??= `${batch.length} of ${records.length} records still failing after ${why.approximateInvokeCount} invocations: ${cause}`;
      },
      signal: deps.signal,
      clock: deps.clock,
    },
  );
  return failure === undefined ? { ok: true, invocations } : { ok: false, error: failure };
}

/** Dead letters not redriven yet, oldest first; `ids` or `functionName` narrow them. */
export async function pendingDeadLetters(
  db: Pick<pg.Pool, 'query'>,
  filter: { ids?: readonly string[]; functionName?: string } = {},
): Promise<DeadLetter[]> {
  const { rows } = await db.query<{
    id: string;
    mapping_id: string;
    function_name: string;
    shard_id: string;
    batch_size: number;
    reason: string;
    payload: DeadLetter['document'];
  }>(localSql('pending-dead-letters'), [
    filter.ids && filter.ids.length > 0 ? filter.ids : null,
    filter.functionName ?? null,
  ]);
  return rows.map((row) => ({
    id: row.id,
    mappingId: row.mapping_id,
    functionName: row.function_name,
    shardId: row.shard_id,
    batchSize: row.batch_size,
    reason: row.reason,
    document: row.payload,
  }));
}

/** Writes down the outcome: redriven, or one attempt more and why it failed. */
export async function recordRedrive(
  db: Pick<pg.Pool, 'query'>,
  id: string,
  outcome: RedriveOutcome,
): Promise<void> {
  await db.query(localSql('record-redrive'), [id, outcome.ok, outcome.ok ? null : outcome.error]);
}
