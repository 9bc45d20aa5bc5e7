/**
 * npm run redrive -- --aws, against a loopback stand-in for S3 and Lambda
 * that speaks their wire formats; the invoked function is the batch
 * consumer's real code writing to the real test PostgreSQL.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../lambdas/batch-consumer/index.ts';
import { encodePriceEvent } from '../../lambdas/shared/price-event.ts';
import { toKinesisEvent } from '../../local/kinesis/kinesis-event.ts';
import { redriveFromS3 } from '../../scripts/redrive-aws.ts';
import { startAwsStandIn } from '../support/aws-standin.ts';
import { priceEvent } from '../support/events.ts';
import { migratedDatabase } from '../support/migrated-db.ts';
import { runScript } from '../support/run-script.ts';

const BUCKET = 'pricestream-dead-letters';
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:Pricestream-BatchConsumer';
const context = { getRemainingTimeInMillis: () => 30_000 } as Context;

let pool: pg.Pool;
let standIn: Awaited<ReturnType<typeof startAwsStandIn>>;

beforeAll(async () => {
  ({ pool } = await migratedDatabase('redrive_aws'));
  standIn = await startAwsStandIn();
  const consumer = createHandler({ db: async () => pool });
  standIn.onInvoke(FUNCTION_ARN, (event) => consumer(event as KinesisStreamEvent, context));
});
afterAll(async () => {
  await standIn.close();
  await pool.end();
});

/** What Lambda writes to an S3 on-failure destination for a Kinesis batch. */
function failureObject(events: ReturnType<typeof priceEvent>[], functionArn = FUNCTION_ARN) {
  const invocation = toKinesisEvent(
    events.map((event, i) => ({
      shardId: 'shardId-000000000001',
      sequenceNumber: `4960000000000000000000000000000000000000000000000000000${i}`,
      partitionKey: event.symbol,
      data: encodePriceEvent(event),
      approximateArrivalTimestamp: new Date(Date.parse(event.fetchedAt) + 10),
    })),
    {
      eventSourceArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/prices',
      awsRegion: 'us-east-1',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/batch-consumer',
    },
  );
  return JSON.stringify({
    requestContext: {
      requestId: 'c0ffee00-0000-4000-8000-000000000000',
      functionArn,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 4,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: new Date().toISOString(),
    KinesisBatchInfo: {
      shardId: 'shardId-000000000001',
      startSequenceNumber: invocation.Records[0]?.kinesis.sequenceNumber,
      endSequenceNumber: invocation.Records.at(-1)?.kinesis.sequenceNumber,
      batchSize: events.length,
      streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/prices',
    },
    // S3 keeps the whole invocation as text.
    payload: JSON.stringify(invocation),
  });
}

const stored = async (ids: string[]) =>
  (
    await pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM silver.prices WHERE consumer = 'batch' AND event_id = ANY($1)",
      [ids],
    )
  ).rows[0]?.n;

describe('redrive from an S3 on-failure destination', () => {
  it('invokes the function each object names with its batch, tags it, and skips what was redriven', async () => {
    const lost = [priceEvent(), priceEvent({ symbol: 'ETH-USD', base: 'ETH' })];
    const earlier = priceEvent();
    standIn.putObject(BUCKET, 'aws/lambda/async/2026/11/30/batch-1', failureObject(lost));
    standIn.putObject(BUCKET, 'aws/lambda/async/2026/11/30/batch-0', failureObject([earlier]), [
      { Key: 'redriven', Value: '2026-11-30T00:00:00.000Z' },
    ]);
    standIn.putObject(
      BUCKET,
      'aws/lambda/async/2026/11/30/batch-2',
      failureObject([priceEvent()], `${FUNCTION_ARN}-deleted`),
    );
    const clients = {
      s3: new S3Client({ endpoint: standIn.endpoint, forcePathStyle: true }),
      lambda: new LambdaClient({ endpoint: standIn.endpoint }),
    };

    const first = await redriveFromS3({ bucket: BUCKET, prefix: 'aws/', retries: 0, ...clients });
    const second = await redriveFromS3({ bucket: BUCKET, prefix: 'aws/', retries: 0, ...clients });

    expect(first).toMatchObject([
      {
        id: 'aws/lambda/async/2026/11/30/batch-1',
        function: 'Pricestream-BatchConsumer',
        records: 2,
        outcome: { ok: true },
      },
      { id: 'aws/lambda/async/2026/11/30/batch-2', outcome: { ok: false } },
    ]);
    expect(first[1]?.outcome).toMatchObject({ error: expect.stringMatching(/Function not found/) });
    expect(second.map((r) => r.id)).toEqual(['aws/lambda/async/2026/11/30/batch-2']);
    expect(await stored(lost.map((e) => e.eventId))).toBe('2');
    expect(await stored([earlier.eventId])).toBe('0');
    expect(standIn.tagsOf(BUCKET, 'aws/lambda/async/2026/11/30/batch-1')).toEqual([
      { Key: 'redriven', Value: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    ]);
    expect(standIn.tagsOf(BUCKET, 'aws/lambda/async/2026/11/30/batch-2')).toEqual([]);
    clients.s3.destroy();
    clients.lambda.destroy();
  });

  it('as a command: one line per batch, exit code 1 while a batch still fails', async () => {
    const bucket = 'pricestream-dead-letters-cli';
    const lost = [priceEvent()];
    standIn.putObject(bucket, 'a', failureObject(lost));
    standIn.putObject(bucket, 'b', failureObject([priceEvent()], `${FUNCTION_ARN}-deleted`));

    const result = await runScript('redrive', ['--aws', '--bucket', bucket, '--retries', '0'], {
      AWS_ENDPOINT_URL_S3: standIn.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: standIn.endpoint,
    });

    expect(result.stdout).toMatch(
      /^a +Pricestream-BatchConsumer +shardId-000000000001 +1 +RetryAttemptsExhausted +redriven$/m,
    );
    expect(result.stdout).toMatch(/^b .* failed: .*Function not found/m);
    expect(result.stdout).toContain('2 dead letters: 1 redriven, 1 still failing');
    expect(result.code).toBe(1);
    expect(await stored(lost.map((e) => e.eventId))).toBe('1');
  });
});
