import { randomBytes } from 'node:crypto';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { createStream, putRaw, readAsLambdaRecords, testKinesis } from './kinesis.ts';

/**
 * One kinesis-local stream for a whole test file, deleted at the end:
 * kinesis-local allows 50 shards in all, shared by every file of a run.
 * `recordsFor` puts payloads and returns just those records, as Lambda
 * would hand them over.
 */
export async function fileStream(prefix: string) {
  const kinesis = testKinesis();
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  const arn = await createStream(kinesis, name);
  const seen = new Set<string>();
  return {
    async recordsFor(payloads: Uint8Array[], key = 'BTC-USD'): Promise<KinesisStreamRecord[]> {
      await putRaw(
        kinesis,
        name,
        payloads.map((data) => ({ key, data })),
      );
      const fresh = (await readAsLambdaRecords(kinesis, name, arn)).filter(
        (r) => !seen.has(r.kinesis.sequenceNumber),
      );
      for (const r of fresh) seen.add(r.kinesis.sequenceNumber);
      return fresh;
    },
    async delete(): Promise<void> {
      await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
      kinesis.destroy();
    },
  };
}
