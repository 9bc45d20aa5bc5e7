/** Creates the template's Kinesis streams in kinesis-local, as CloudFormation would. */
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  type KinesisClient,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import type { StreamModel } from '../assembly/stack-model.ts';
import { sleep } from '../shared/backoff.ts';
import type { RuntimeEvents } from '../shared/runtime-events.ts';

/**
 * Creates each stream that does not exist yet and waits until it is ACTIVE.
 * An existing stream is left as it is (its records and shards are kept).
 */
export async function ensureStreams(
  kinesis: KinesisClient,
  streams: readonly StreamModel[],
  events: RuntimeEvents,
  timeoutMs = 30_000,
): Promise<void> {
  for (const stream of streams) {
    const existing = await describe(kinesis, stream.name);
    if (existing) {
      if (existing.OpenShardCount !== undefined && existing.OpenShardCount !== stream.shardCount) {
        events.notice(
          'info',
          'runtime',
          `stream ${stream.name} exists with ${existing.OpenShardCount} open shards (the template says ${stream.shardCount}); left as it is`,
        );
      }
    } else {
      try {
        // On-demand streams are created provisioned locally: throughput
        // limits do not apply to kinesis-local, only the shard count matters.
        await kinesis.send(
          new CreateStreamCommand({ StreamName: stream.name, ShardCount: stream.shardCount }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ResourceInUseException') throw error;
      }
      events.notice(
        'info',
        'runtime',
        `created stream ${stream.name} with ${stream.shardCount} shards${stream.onDemand ? ' (on-demand in the template)' : ''}`,
      );
    }
    await waitUntilActive(kinesis, stream.name, timeoutMs);
    if (!existing && stream.retentionHours > 24) {
      await kinesis.send(
        new IncreaseStreamRetentionPeriodCommand({
          StreamName: stream.name,
          RetentionPeriodHours: stream.retentionHours,
        }),
      );
      await waitUntilActive(kinesis, stream.name, timeoutMs);
    }
  }
}

/** Every shard of the stream, open and closed, page after page. */
export async function listShards(kinesis: KinesisClient, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  do {
    const page = await kinesis.send(
      new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }),
    );
    shards.push(...(page.Shards ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return shards;
}

async function describe(kinesis: KinesisClient, name: string) {
  try {
    const result = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    return result.StreamDescriptionSummary;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function waitUntilActive(kinesis: KinesisClient, name: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const summary = await describe(kinesis, name);
    if (summary?.StreamStatus === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new Error(
        `stream ${name} is not ACTIVE after ${timeoutMs} ms (${summary?.StreamStatus ?? 'missing'})`,
      );
    }
    await sleep(100);
  }
}
