import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../../lambdas/shared/kinesis-client.ts';

/**
 * The runtime's own Kinesis client: fixed local credentials, and no SDK
 * retries, because the poller retries with its own backoff and reports
 * outages itself.
 */
export function createRuntimeKinesisClient(endpoint: string, region: string): KinesisClient {
  return createKinesisClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestTimeoutMs: 15_000,
  });
}
