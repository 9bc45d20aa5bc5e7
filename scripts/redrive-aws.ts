/**
 * npm run redrive -- --aws: the S3 on-failure destination's objects, each a
 * failed batch with its invocation (`payload`), delivered to the function
 * the object names (synchronous Invoke, partial batch responses, bisection,
 * retries: the path of redrive.ts), then tagged `redriven`.
 *
 * Credentials, region and endpoints come from the SDK's usual chain
 * (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_LAMBDA).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  PutObjectTaggingCommand,
  paginateListObjectsV2,
  S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import { systemClock, systemTimerClock } from '../lambdas/shared/clock.ts';
import { type DeadLetter, RedriveError, redriveBatch } from '../local/kinesis/redrive.ts';
import type { RedriveReport } from '../local/runtime.ts';
import { errorMessage } from '../local/shared/backoff.ts';

export const REDRIVEN_TAG = 'redriven';

export interface S3RedriveOptions {
  bucket: string;
  prefix?: string | undefined;
  /** Only batches of this function (its name or ARN). */
  functionName?: string | undefined;
  retries?: number;
  s3?: S3Client;
  lambda?: LambdaClient;
}

/** The function error Lambda reports for a synchronous invocation. */
class InvokeError extends Error {}

export async function redriveFromS3(options: S3RedriveOptions): Promise<RedriveReport[]> {
  const s3 =
    options.s3 ?? new S3Client({ forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined });
  const lambda = options.lambda ?? new LambdaClient({});
  const reports: RedriveReport[] = [];
  const signal = new AbortController().signal;
  try {
    for await (const page of paginateListObjectsV2(
      { client: s3 },
      { Bucket: options.bucket, ...(options.prefix ? { Prefix: options.prefix } : {}) },
    )) {
      for (const object of page.Contents ?? []) {
        const key = object.Key;
        if (!key) continue;
        const tagging = await s3.send(
          new GetObjectTaggingCommand({ Bucket: options.bucket, Key: key }),
        );
        const tags = tagging.TagSet ?? [];
        if (tags.some((tag) => tag.Key === REDRIVEN_TAG)) continue;
        const body = await s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
        const text = (await body.Body?.transformToString('utf8')) ?? '';
        const report = await redriveObject(key, text, {
          lambda,
          signal,
          retries: options.retries ?? 2,
          functionName: options.functionName,
        });
        if (!report) continue;
        if (report.outcome.ok) {
          const redriven: Tag = { Key: REDRIVEN_TAG, Value: new Date(systemClock()).toISOString() };
          await s3.send(
            new PutObjectTaggingCommand({
              Bucket: options.bucket,
              Key: key,
              Tagging: { TagSet: [...tags, redriven] },
            }),
          );
        }
        reports.push(report);
      }
    }
  } finally {
    if (!options.s3) s3.destroy();
    if (!options.lambda) lambda.destroy();
  }
  return reports;
}

async function redriveObject(
  key: string,
  text: string,
  deps: {
    lambda: LambdaClient;
    signal: AbortSignal;
    retries: number;
    functionName: string | undefined;
  },
): Promise<RedriveReport | undefined> {
  let document: DeadLetter['document'] & {
    requestContext?: { functionArn?: string; condition?: string };
    KinesisBatchInfo?: { shardId?: string; batchSize?: number };
  };
  try {
    document = JSON.parse(text);
  } catch {
    return failed(key, 'unknown', 'the object is not JSON');
  }
  const functionArn = document.requestContext?.functionArn ?? '';
  const functionName = functionArn.split(':').at(-1) ?? functionArn;
  if (deps.functionName && ![functionArn, functionName].includes(deps.functionName)) {
    return undefined;
  }
  const deadLetter: DeadLetter = {
    id: key,
    mappingId: '',
    functionName,
    shardId: document.KinesisBatchInfo?.shardId ?? '',
    batchSize: document.KinesisBatchInfo?.batchSize ?? 0,
    reason: document.requestContext?.condition ?? '',
    document,
  };
  let outcome: RedriveReport['outcome'];
  try {
    outcome = await redriveBatch(deadLetter, {
      invoke: async (event) => {
        const answer = await deps.lambda.send(
          new InvokeCommand({
            FunctionName: functionArn,
            InvocationType: 'RequestResponse',
            Payload: Buffer.from(JSON.stringify(event)),
          }),
        );
        const payload = answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : 'null';
        if (answer.FunctionError) {
          const error = safeJson(payload) as { errorType?: string; errorMessage?: string } | null;
          const failure = new InvokeError(error?.errorMessage ?? payload);
          failure.name = error?.errorType ?? answer.FunctionError;
          throw failure;
        }
        return safeJson(payload);
      },
      policy: {
        maximumRetryAttempts: deps.retries,
        bisectBatchOnFunctionError: true,
        reportBatchItemFailures: true,
      },
      signal: deps.signal,
      clock: systemTimerClock,
    });
  } catch (error) {
    if (!(error instanceof RedriveError)) throw error;
    outcome = { ok: false, error: errorMessage(error) };
  }
  return {
    id: key,
    function: functionName,
    shardId: deadLetter.shardId,
    records: deadLetter.batchSize,
    reason: deadLetter.reason,
    outcome,
  };
}

function failed(key: string, fn: string, error: string): RedriveReport {
  return {
    id: key,
    function: fn,
    shardId: '',
    records: 0,
    reason: '',
    outcome: { ok: false, error },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
