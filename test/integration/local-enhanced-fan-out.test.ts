import {
  DescribeStreamSummaryCommand,
  ListStreamConsumersCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureStreamConsumer } from '../../local/kinesis/stream-consumers.ts';
import { SubscriptionShardReader } from '../../local/kinesis/subscription-reader.ts';
import { StoppedError } from '../../local/shared/backoff.ts';
import {
  createStream,
  deliveries,
  type FixtureRun,
  ids,
  invocations,
  putRecords,
  reshard,
  startFixtureRuntime,
  testKinesis,
  uniqueStreamName,
  waitFor,
} from '../fixtures/local/harness.ts';

let run: FixtureRun | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
});

const KEYS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'DOGE-USD'];
const body = (id: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  key: KEYS[id % KEYS.length],
  ...extra,
});

/** Delivered ids per shard, in the order the function was invoked with them. */
async function deliveredPerShard(run: FixtureRun): Promise<Map<string, string[]>> {
  const { rows } = await run.pool.query<{ shard_id: string; ids: string[] }>(
    `SELECT split_part(first_record->>'eventID', ':', 1) AS shard_id, ids
     FROM fixture.invocations ORDER BY id`,
  );
  const perShard = new Map<string, string[]>();
  for (const row of rows)
    perShard.set(row.shard_id, [...(perShard.get(row.shard_id) ?? []), ...row.ids]);
  return perShard;
}

/** The ids put on each shard, in sequence order: what each shard must deliver, in that order. */
async function putPerShard(stream: string, bodies: Array<Record<string, unknown>>) {
  const kinesis = testKinesis();
  try {
    const result = await kinesis.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: bodies.map((b) => ({
          PartitionKey: String(b.key),
          Data: Buffer.from(JSON.stringify(b)),
        })),
      }),
    );
    const perShard = new Map<string, string[]>();
    (result.Records ?? []).forEach((record, i) => {
      const shard = record.ShardId ?? '';
      perShard.set(shard, [...(perShard.get(shard) ?? []), String(bodies[i]?.id)]);
    });
    return perShard;
  } finally {
    kinesis.destroy();
  }
}

for (const transport of ['poll', 'subscribe'] as const) {
  describe(`enhanced fan-out mapping, ${transport} (kinesis-local, PostgreSQL)`, () => {
    it('registers the stream consumer and delivers every record, in order per shard', async () => {
      const stream = uniqueStreamName(`efo-${transport}`);
      run = await startFixtureRuntime(
        {
          streamName: stream,
          shardCount: 3,
          streamConsumer: 'fixture-efo',
          mapping: { BatchSize: 1, StartingPosition: 'LATEST' },
        },
        { enhancedFanOut: transport },
      );
      const kinesis = testKinesis();
      const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
      const consumers = await kinesis.send(
        new ListStreamConsumersCommand({ StreamARN: summary.StreamDescriptionSummary?.StreamARN }),
      );
      kinesis.destroy();

      const expected = await putPerShard(
        stream,
        ids(1, 30).map((id) => body(Number(id))),
      );
      const { pool } = run;
      await waitFor(async () => (await deliveries(pool)).size === 30, 20_000, '30 deliveries');

      expect(consumers.Consumers?.map((c) => [c.ConsumerName, c.ConsumerStatus])).toEqual([
        ['fixture-efo', 'ACTIVE'],
      ]);
      expect(Object.fromEntries(await deliveredPerShard(run))).toEqual(
        Object.fromEntries(expected),
      );
      expect([...(await deliveries(pool)).values()].every((n) => n === 1)).toBe(true);
      const [first] = await invocations(pool);
      expect(first?.ids).toHaveLength(1);
    });

    it('reads the child shards once a resharded parent is read to its end', async () => {
      const stream = uniqueStreamName(`efo-reshard-${transport}`);
      run = await startFixtureRuntime(
        { streamName: stream, streamConsumer: 'fixture-efo', mapping: { BatchSize: 10 } },
        { enhancedFanOut: transport },
      );
      const { pool } = run;
      await putRecords(
        stream,
        ids(1, 5).map((id) => body(Number(id))),
      );
      await waitFor(async () => (await deliveries(pool)).size === 5, 15_000, '5 deliveries');

      await reshard(stream, 2);
      await putRecords(
        stream,
        ids(6, 15).map((id) => body(Number(id))),
      );
      await waitFor(async () => (await deliveries(pool)).size === 15, 30_000, '15 deliveries');

      expect(Object.fromEntries(await deliveries(pool))).toEqual(
        Object.fromEntries(ids(1, 15).map((id) => [id, 1])),
      );
    });

    it('resumes after a restart from the checkpoint: nothing lost, nothing delivered twice', async () => {
      const stream = uniqueStreamName(`efo-resume-${transport}`);
      run = await startFixtureRuntime(
        {
          streamName: stream,
          streamConsumer: 'fixture-efo',
          mapping: { BatchSize: 2, StartingPosition: 'LATEST' },
        },
        { enhancedFanOut: transport },
      );
      const { pool } = run;
      await putRecords(
        stream,
        ids(1, 5).map((id) => body(Number(id))),
      );
      await waitFor(async () => (await deliveries(pool)).size === 5, 10_000, '5 deliveries');
      await run.runtime.stop();

      await putRecords(
        stream,
        ids(6, 9).map((id) => body(Number(id))),
      );
      await run.restart({ enhancedFanOut: transport });
      await waitFor(async () => (await deliveries(pool)).size === 9, 10_000, '9 deliveries');

      expect(Object.fromEntries(await deliveries(pool))).toEqual(
        Object.fromEntries(ids(1, 9).map((id) => [id, 1])),
      );
      expect((await invocations(pool)).flatMap((c) => c.ids)).toEqual(ids(1, 9));
    });

    it('retries a partial batch response from the lowest failed record', async () => {
      const stream = uniqueStreamName(`efo-partial-${transport}`);
      await createStream(stream);
      const sequences = await putRecords(
        stream,
        ids(1, 10).map((id) => ({ id: Number(id), ...(id === '4' ? { fail: 2 } : {}) })),
      );

      run = await startFixtureRuntime(
        {
          streamName: stream,
          streamConsumer: 'fixture-efo',
          mapping: { BatchSize: 10, MaximumRetryAttempts: 5 },
          consumerEnv: { FIXTURE_FAILURE_MODE: 'report' },
        },
        { enhancedFanOut: transport },
      );
      const { pool, runtime } = run;
      await waitFor(async () => (await deliveries(pool)).size === 10, 15_000, '10 deliveries');
      await waitFor(
        () => runtime.mappings[0]?.status().checkpoints['shardId-000000000000'] === sequences[9],
        5_000,
        'the checkpoint at the last record',
      );

      expect((await invocations(pool)).map((c) => c.ids)).toEqual([
        ids(1, 10),
        ids(4, 10),
        ids(4, 10),
      ]);
      expect([...(await deliveries(pool)).values()].every((n) => n === 1)).toBe(true);
    });

    it('bisects a failing batch and dead-letters the record that keeps failing', async () => {
      const stream = uniqueStreamName(`efo-dlq-${transport}`);
      await createStream(stream);
      const sequences = await putRecords(
        stream,
        ids(1, 4).map((id) => ({ id: Number(id), ...(id === '2' ? { fail: -1 } : {}) })),
      );

      run = await startFixtureRuntime(
        {
          streamName: stream,
          streamConsumer: 'fixture-efo',
          mapping: { BatchSize: 4, BisectBatchOnFunctionError: true, MaximumRetryAttempts: 1 },
          consumerEnv: { FIXTURE_FAILURE_MODE: 'throw' },
        },
        { enhancedFanOut: transport },
      );
      const { pool, runtime } = run;
      await waitFor(async () => (await deliveries(pool)).size === 3, 15_000, '3 deliveries');

      expect([...(await deliveries(pool)).keys()].sort()).toEqual(['1', '3', '4']);
      const { rows } = await pool.query(
        `SELECT start_sequence_number, batch_size, reason FROM ${runtime.deadLetterTable}`,
      );
      expect(rows).toEqual([
        { start_sequence_number: sequences[1], batch_size: 1, reason: 'RetryAttemptsExhausted' },
      ]);
    });
  });
}

describe('SubscriptionShardReader (kinesis-local)', () => {
  it('subscribes again after the last record when a subscription ends', async () => {
    const stream = uniqueStreamName('efo-resubscribe');
    await createStream(stream);
    const kinesis = testKinesis();
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    const consumerArn = await ensureStreamConsumer(
      kinesis,
      summary.StreamDescriptionSummary?.StreamARN ?? '',
      'reader',
    );
    const reader = new SubscriptionShardReader(kinesis, {
      consumerArn,
      streamName: stream,
      shardId: 'shardId-000000000000',
      start: { type: 'TRIM_HORIZON' },
      reporter: { unavailable: () => {}, recovered: () => {}, warn: () => {} },
    });
    const stop = new AbortController();
    const readIds = async (count: number) => {
      const got: string[] = [];
      const deadline = Date.now() + 10_000;
      while (got.length < count && Date.now() < deadline) {
        const { records } = await reader.read(stop.signal);
        for (const r of records) got.push(JSON.parse(Buffer.from(r.data).toString()).id);
        await new Promise((resolve) => setTimeout(resolve, reader.idleDelayMs));
      }
      return got.map(String);
    };
    try {
      await putRecords(
        stream,
        ids(1, 3).map((id) => ({ id: Number(id) })),
      );
      const first = await readIds(3);
      // What the end of the 5 minutes does: the event stream closes.
      reader.endSubscription();
      await putRecords(
        stream,
        ids(4, 5).map((id) => ({ id: Number(id) })),
      );
      const second = await readIds(2);

      expect(first).toEqual(ids(1, 3));
      expect(second).toEqual(ids(4, 5));
      expect(reader.subscriptions).toBe(2);
    } finally {
      stop.abort();
      await expect(reader.read(stop.signal)).rejects.toBeInstanceOf(StoppedError);
      kinesis.destroy();
    }
  });
});
