import { afterEach, describe, expect, it } from 'vitest';
import { laneOf } from '../../local/kinesis/shard-consumer.ts';
import {
  createStream,
  deliveries,
  type FixtureRun,
  ids,
  invocations,
  putRecords,
  reshard,
  startFixtureRuntime,
  uniqueStreamName,
  waitFor,
} from '../fixtures/local/harness.ts';

let run: FixtureRun | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
});

const body = (id: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  ...extra,
});

describe('Kinesis event source mapping (kinesis-local, PostgreSQL)', () => {
  it('cuts batches of BatchSize from the records waiting', async () => {
    const stream = uniqueStreamName('esm-size');
    await createStream(stream);
    await putRecords(
      stream,
      ids(1, 12).map((id) => body(Number(id))),
    );

    run = await startFixtureRuntime({ streamName: stream, mapping: { BatchSize: 5 } });
    const { pool } = run;
    await waitFor(async () => (await deliveries(pool)).size === 12, 15_000, '12 deliveries');

    const calls = await invocations(pool);
    expect(calls.map((c) => c.ids)).toEqual([ids(1, 5), ids(6, 10), ids(11, 12)]);
    expect([...(await deliveries(pool)).values()].every((n) => n === 1)).toBe(true);
  });

  it('gathers records for the batching window, and invokes early when the batch is full', async () => {
    const stream = uniqueStreamName('esm-window');
    run = await startFixtureRuntime({
      streamName: stream,
      mapping: { BatchSize: 6, MaximumBatchingWindowInSeconds: 2, StartingPosition: 'LATEST' },
    });
    const { pool } = run;

    const firstPut = Date.now();
    await putRecords(stream, [body(1), body(2), body(3)]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await putRecords(stream, [body(4), body(5)]);
    await waitFor(async () => (await deliveries(pool)).size === 5, 10_000, '5 deliveries');
    const windowed = await invocations(pool);

    const fullPut = Date.now();
    await putRecords(
      stream,
      ids(6, 11).map((id) => body(Number(id))),
    );
    await waitFor(async () => (await deliveries(pool)).size === 11, 10_000, '11 deliveries');
    const all = await invocations(pool);

    expect(windowed.map((c) => c.ids)).toEqual([ids(1, 5)]);
    expect(
      (windowed[0] as { invoked_at: Date }).invoked_at.getTime() - firstPut,
    ).toBeGreaterThanOrEqual(1_800);
    expect(all.slice(1).map((c) => c.ids)).toEqual([ids(6, 11)]);
    expect((all[1] as { invoked_at: Date }).invoked_at.getTime() - fullPut).toBeLessThan(1_500);
  });

  it('retries a partial batch response from the lowest failed record, losing and doubling nothing', async () => {
    const stream = uniqueStreamName('esm-partial');
    await createStream(stream);
    const sequences = await putRecords(
      stream,
      ids(1, 10).map((id) => body(Number(id), id === '4' ? { fail: 2 } : {})),
    );

    run = await startFixtureRuntime({
      streamName: stream,
      mapping: { BatchSize: 10, MaximumRetryAttempts: 5 },
      consumerEnv: { FIXTURE_FAILURE_MODE: 'report' },
    });
    const { pool } = run;
    await waitFor(async () => (await deliveries(pool)).size === 10, 15_000, '10 deliveries');
    const mapping = run.runtime.mappings[0];
    await waitFor(
      () => mapping?.status().checkpoints['shardId-000000000000'] === sequences[9],
      5_000,
      'the checkpoint at the last record',
    );

    expect((await invocations(pool)).map((c) => c.ids)).toEqual([
      ids(1, 10),
      ids(4, 10),
      ids(4, 10),
    ]);
    expect(Object.fromEntries(await deliveries(pool))).toEqual(
      Object.fromEntries(ids(1, 10).map((id) => [id, 1])),
    );
    const { rows } = await pool.query<{ sequence_number: string }>(
      'SELECT sequence_number FROM local_runtime.shard_checkpoints',
    );
    expect(rows).toEqual([{ sequence_number: sequences[9] }]);
  });

  it('bisects a batch when the function fails, and retries the halves', async () => {
    const stream = uniqueStreamName('esm-bisect');
    await createStream(stream);
    await putRecords(
      stream,
      ids(1, 4).map((id) => body(Number(id), id === '3' ? { fail: 1 } : {})),
    );

    run = await startFixtureRuntime({
      streamName: stream,
      mapping: { BatchSize: 4, BisectBatchOnFunctionError: true, MaximumRetryAttempts: 3 },
      consumerEnv: { FIXTURE_FAILURE_MODE: 'throw' },
    });
    const { pool } = run;
    await waitFor(async () => (await deliveries(pool)).size === 4, 15_000, '4 deliveries');

    expect((await invocations(pool)).map((c) => c.ids)).toEqual([ids(1, 4), ids(1, 2), ids(3, 4)]);
    expect([...(await deliveries(pool)).values()]).toEqual([1, 1, 1, 1]);
  });

  it('writes a dead letter when retries run out, then moves past the record', async () => {
    const stream = uniqueStreamName('esm-dlq');
    await createStream(stream);
    const sequences = await putRecords(
      stream,
      ids(1, 4).map((id) => body(Number(id), id === '2' ? { fail: -1 } : {})),
    );

    run = await startFixtureRuntime({
      streamName: stream,
      mapping: { BatchSize: 4, BisectBatchOnFunctionError: true, MaximumRetryAttempts: 1 },
      consumerEnv: { FIXTURE_FAILURE_MODE: 'throw' },
    });
    const { pool, runtime } = run;
    await waitFor(async () => (await deliveries(pool)).size === 3, 15_000, '3 deliveries');
    await putRecords(stream, [body(5)]);
    await waitFor(async () => (await deliveries(pool)).size === 4, 15_000, 'record 5');

    expect([...(await deliveries(pool)).keys()].sort()).toEqual(['1', '3', '4', '5']);
    const { rows } = await pool.query(
      `SELECT function_name, destination_arn, stream_arn, shard_id, start_sequence_number,
              end_sequence_number, batch_size, reason, error, attempts, payload
       FROM ${runtime.deadLetterTable}`,
    );
    expect(rows).toHaveLength(1);
    const streamArn = `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`;
    expect(rows[0]).toMatchObject({
      function_name: 'Fixture-Consumer5E6F7A8B',
      destination_arn: 'arn:aws:sqs:us-east-1:000000000000:Fixture-ConsumerDlq9C8D7E6F',
      stream_arn: streamArn,
      shard_id: 'shardId-000000000000',
      start_sequence_number: sequences[1],
      end_sequence_number: sequences[1],
      batch_size: 1,
      reason: 'RetryAttemptsExhausted',
      error: 'Error: record 2 failed',
    });
    expect(rows[0].payload).toMatchObject({
      version: '1.0',
      requestContext: {
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:Fixture-Consumer5E6F7A8B',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: rows[0].attempts,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      KinesisBatchInfo: {
        shardId: 'shardId-000000000000',
        startSequenceNumber: sequences[1],
        endSequenceNumber: sequences[1],
        batchSize: 1,
        streamArn,
      },
    });
    // The original batch, its half, and the record alone twice (one retry).
    expect(rows[0].attempts).toBe(4);
  });

  it('sends records older than MaximumRecordAgeInSeconds to the dead letters without invoking', async () => {
    const stream = uniqueStreamName('esm-age');
    await createStream(stream);
    await putRecords(stream, [body(1), body(2)]);
    // The mapping's clock runs two minutes ahead while records 1 and 2 are
    // read, which makes them older than the maximum age; then it is put right.
    let aheadMs = 120_000;
    const clock = () => Date.now() + aheadMs;

    run = await startFixtureRuntime(
      { streamName: stream, mapping: { BatchSize: 10, MaximumRecordAgeInSeconds: 60 } },
      { clock },
    );
    const { pool, runtime } = run;
    await waitFor(
      async () => {
        const { rows } = await pool.query(`SELECT 1 FROM ${runtime.deadLetterTable}`);
        return rows.length > 0;
      },
      10_000,
      'a dead letter',
    );
    const givenUpBy = clock();
    aheadMs = 0;
    await putRecords(stream, [body(3)]);
    await waitFor(async () => (await deliveries(pool)).size === 1, 10_000, 'record 3');

    const { rows } = await pool.query(
      `SELECT batch_size, reason, attempts, payload FROM ${runtime.deadLetterTable}`,
    );
    expect(rows).toMatchObject([{ batch_size: 2, reason: 'RecordAgeExceeded', attempts: 0 }]);
    expect(rows[0].payload.responseContext).toEqual({ statusCode: 0, executedVersion: '$LATEST' });
    // The dead letter is stamped by the mapping's clock, not the system's.
    expect(Date.parse(rows[0].payload.timestamp)).toBeGreaterThan(givenUpBy - 60_000);
    expect((await invocations(pool)).map((c) => c.ids)).toEqual([['3']]);
  });

  it('resumes after a restart from the checkpoint: nothing lost, nothing delivered twice', async () => {
    const stream = uniqueStreamName('esm-resume');
    run = await startFixtureRuntime({
      streamName: stream,
      mapping: { BatchSize: 2, StartingPosition: 'LATEST' },
    });
    const { pool } = run;
    await putRecords(
      stream,
      ids(1, 5).map((id) => body(Number(id))),
    );
    await waitFor(async () => (await deliveries(pool)).size === 5, 10_000, '5 deliveries');
    await run.runtime.stop();

    await putRecords(
      stream,
      ids(6, 8).map((id) => body(Number(id))),
    );
    await run.restart();
    await waitFor(async () => (await deliveries(pool)).size === 8, 10_000, '8 deliveries');

    expect(Object.fromEntries(await deliveries(pool))).toEqual(
      Object.fromEntries(ids(1, 8).map((id) => [id, 1])),
    );
    const delivered = (await invocations(pool)).flatMap((c) => c.ids);
    expect(delivered).toEqual(ids(1, 8));
  });

  it('reads the child shards of a LATEST mapping from their start, records put before they were found included', async () => {
    const stream = uniqueStreamName('esm-reshard');
    run = await startFixtureRuntime({
      streamName: stream,
      mapping: { BatchSize: 10, StartingPosition: 'LATEST' },
    });
    const { pool } = run;
    const keys = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'DOGE-USD'];
    await putRecords(
      stream,
      ids(1, 5).map((id, i) => body(Number(id), { key: keys[i] })),
    );
    await waitFor(async () => (await deliveries(pool)).size === 5, 10_000, '5 deliveries');
    await run.runtime.stop();

    // While the mapping is stopped: split into two shards and put records,
    // which land on the children before the mapping has seen them.
    await reshard(stream, 2);
    await putRecords(
      stream,
      ids(6, 15).map((id, i) => body(Number(id), { key: keys[i % keys.length] })),
    );
    await run.restart();
    await waitFor(async () => (await deliveries(pool)).size === 15, 15_000, '15 deliveries');

    expect(Object.fromEntries(await deliveries(pool))).toEqual(
      Object.fromEntries(ids(1, 15).map((id) => [id, 1])),
    );
    const { rows } = await pool.query('SELECT DISTINCT shard_id FROM fixture.deliveries');
    expect(rows.length).toBeGreaterThanOrEqual(2);
  });

  it('spreads records over ParallelizationFactor lanes by partition key, in order per key, over every shard', async () => {
    const stream = uniqueStreamName('esm-lanes');
    await createStream(stream, 2);
    const keys = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'DOGE-USD'];
    const records = ids(1, 40).map((id, i) => body(Number(id), { key: keys[i % keys.length] }));
    await putRecords(stream, records);

    run = await startFixtureRuntime({
      streamName: stream,
      shardCount: 2,
      mapping: { BatchSize: 3, ParallelizationFactor: 3 },
    });
    const { pool } = run;
    await waitFor(async () => (await deliveries(pool)).size === 40, 15_000, '40 deliveries');

    const keyOf = new Map(records.map((r) => [String(r.id), r.key as string]));
    const calls = await invocations(pool);
    for (const call of calls) {
      const lanes = new Set(call.ids.map((id) => laneOf(keyOf.get(id) as string, 3)));
      expect(lanes.size).toBe(1);
      expect(call.ids.length).toBeLessThanOrEqual(3);
    }
    for (const key of keys) {
      const order = calls.flatMap((c) => c.ids).filter((id) => keyOf.get(id) === key);
      expect(order).toEqual([...order].sort((a, b) => Number(a) - Number(b)));
    }
    expect([...(await deliveries(pool)).values()].every((n) => n === 1)).toBe(true);
    const { rows } = await pool.query('SELECT DISTINCT shard_id FROM fixture.deliveries');
    expect(rows).toHaveLength(2);
  });

  it('builds events of the KinesisStreamEvent shape', async () => {
    const stream = uniqueStreamName('esm-shape');
    run = await startFixtureRuntime({
      streamName: stream,
      mapping: { StartingPosition: 'LATEST' },
    });
    const { pool } = run;
    const before = Date.now() / 1000;
    const [sequence] = await putRecords(stream, [body(1)], 'BTC-USD');
    await waitFor(async () => (await deliveries(pool)).size === 1, 10_000, 'a delivery');

    const { rows } = await pool.query('SELECT first_record FROM fixture.invocations');
    const record = rows[0].first_record;
    expect(record).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'BTC-USD',
        sequenceNumber: sequence,
        data: Buffer.from(JSON.stringify(body(1))).toString('base64'),
        approximateArrivalTimestamp: expect.any(Number),
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${sequence}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/Fixture-ConsumerServiceRole1A2B3C4D',
      awsRegion: 'us-east-1',
      eventSourceARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`,
    });
    expect(record.kinesis.approximateArrivalTimestamp).toBeGreaterThan(before - 5);
    expect(record.kinesis.approximateArrivalTimestamp).toBeLessThan(Date.now() / 1000 + 1);
  });
});
