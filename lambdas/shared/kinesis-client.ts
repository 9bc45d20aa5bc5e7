import { KinesisClient } from '@aws-sdk/client-kinesis';
import { awsClientConfig } from './aws-client.ts';

export interface KinesisClientOptions {
  endpoint?: string;
  region?: string;
  /** SDK attempts per call. Default 3; 1 where the caller retries itself. */
  maxAttempts?: number;
  /** Fixed credentials (kinesis-local takes any); default: the SDK's provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  requestTimeoutMs?: number;
}

/**
 * A Kinesis client over HTTP/1.1. The SDK's default handler for Kinesis is
 * HTTP/2, which kinesis-local does not speak; PutRecords and GetRecords work
 * the same over HTTP/1.1 on AWS. The endpoint comes from the argument or from
 * AWS_ENDPOINT_URL_KINESIS (read by the SDK itself).
 */
export function createKinesisClient(options: KinesisClientOptions = {}) {
  return new KinesisClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    // Over HTTP/1.1 (NodeHttpHandler); a request timeout that fails the request:
    // a server that went away mid-request would otherwise hold a shard reader forever.
    ...awsClientConfig({
      maxAttempts: options.maxAttempts ?? 3,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      maxSockets: 64,
    }),
  });
}
