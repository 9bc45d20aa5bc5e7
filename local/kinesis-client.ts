import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * The runtime's own Kinesis client: HTTP/1.1 (kinesis-local has no HTTP/2),
 * fixed local credentials, and no SDK retries, because the poller retries
 * with its own backoff and reports outages itself.
 */
export function createRuntimeKinesisClient(endpoint: string, region: string): KinesisClient {
  return new KinesisClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 2_000,
      requestTimeout: 15_000,
      httpAgent: { keepAlive: true, maxSockets: 64 },
    }),
  });
}
