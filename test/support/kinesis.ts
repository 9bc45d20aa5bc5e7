import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { inject } from 'vitest';
import { createKinesisClient } from '../../lambdas/shared/kinesis-client.ts';

export function testKinesis(): KinesisClient {
  return createKinesisClient({ endpoint: inject('kinesisEndpoint') });
}

export async function createStream(
  kinesis: KinesisClient,
  name: string,
  shards = 1,
): Promise<string> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (let i = 0; i < 100; i++) {
    const { StreamDescriptionSummary: s } = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: name }),
    );
    if (s?.StreamStatus === 'ACTIVE') return s.StreamARN as string;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

export async function putRaw(
  kinesis: KinesisClient,
  stream: string,
  records: Array<{ key: string; data: Uint8Array }>,
) {
  const out = await kinesis.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: records.map((r) => ({ PartitionKey: r.key, Data: r.data })),
    }),
  );
  if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed`);
}

/**
 * Every record on the stream, as Lambda would hand it to a function: the
 * exact KinesisStreamRecord shape, built from real GetRecords answers.
 */
export async function readAsLambdaRecords(
  kinesis: KinesisClient,
  stream: string,
  streamArn: string,
): Promise<KinesisStreamRecord[]> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
  const records: KinesisStreamRecord[] = [];
  for (const shard of Shards) {
    const shardId = shard.ShardId as string;
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
    ).ShardIterator;
    while (iterator) {
      const page = await kinesis.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }),
      );
      for (const r of page.Records ?? []) {
        records.push({
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: r.PartitionKey as string,
            sequenceNumber: r.SequenceNumber as string,
            data: Buffer.from(r.Data as Uint8Array).toString('base64'),
            approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp as Date).getTime() / 1000,
          },
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: `${shardId}:${r.SequenceNumber}`,
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: 'arn:aws:iam::000000000000:role/test',
          awsRegion: 'us-east-1',
          eventSourceARN: streamArn,
        });
      }
      if (!page.Records?.length || page.MillisBehindLatest === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return records;
}

export const asEvent = (records: KinesisStreamRecord[]): KinesisStreamEvent => ({
  Records: records,
});
