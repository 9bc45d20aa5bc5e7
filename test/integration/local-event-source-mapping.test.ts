/**
 * The event source mapping on kinesis-local and PostgreSQL, on a driven
 * clock: polls, batching windows and retries happen as the test advances
 * the clock, and have happened when the advance returns.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { laneOf } from '../../local/kinesis/shard-consumer.ts';
import { createDrivenClock, type DrivenClock } from '../../local/shared/driven-clock.ts';
import {
  createStream,
  deliveries,
  FAST,
  type FixtureRun,
  ids,
  invocations,
  putRecords,
  reshard,
  startFixtureRuntime,
  uniqueStreamName,
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

/** More than any wait of a test below: the poll interval, the retries' backoff (FAST). */
const A_SECOND = 1_000;
const POLL_MS = FAST.pollIntervalMs as number;

let clock: DrivenClock;
beforeEach(() => {
  clock = createDrivenClock();
});

describe('Kinesis event source mapping (kinesis-local, PostgreSQL)', () => {
  it('cuts batches of BatchSize from the records waiting', async () => {
    const stream = uniqueStreamName('esm-size');
    await createStream(stream);
    await putRecords(
      stream,
      ids(1, 12).map((id) => body(Number(id))),
    );

    run = await startFixtureRuntime({ streamName: stream, mapping: { BatchSize: 5 } }, { clock });
    const { pool } = run;
    // The first poll, at start: it reads all twelve and invokes three times.
    await clock.settle();

    const calls = await invocations(pool);
    expect(calls.map((c) => c.ids)).toEqual([ids(1, 5), ids(6, 10), ids(11, 12)]);
    expect([...(await deliveries(pool)).values()].every((n) => n === 1)).toBe(true);
  });

  it('gathers records for the batching window, and invokes early when the batch is full', async () => {
    const stream = uniqueStreamName('esm-window');
    const invokedAt: number[] = [];
    run = await startFixtureRuntime(
      {
        streamName: stream,
        mapping: { BatchSize: 6, MaximumBatchingWindowInSeconds: 2, StartingPosition: 'LATEST' },
      },
      { clock, listeners: { batch: () => invokedAt.push(clock.now()) } },
    );
    const { pool } = run;

    // The first poll reads 1-3: the window runs from there.
    const firstPut = clock.now();
    await putRecords(stream, [body(1), body(2), body(3)]);
    await clock.advanceBy(500);
    await putRecords(stream, [body(4), body(5)]);
    await clock.advanceBy(1_499);
    const beforeTheWindowEnds = (await deliveries(pool)).size;
    await clock.advanceBy(1);
    const windowed = await invocations(pool);

    const fullPut = clock.now();
    await putRecords(
      stream,
      ids(6, 11).map((id) => body(Number(id))),
    );
    await clock.advanceBy(POLL_MS);
    const all = await invocations(pool);

    expect(beforeTheWindowEnds).toBe(0);
    expect(windowed.map((c) => c.ids)).toEqual([ids(1, 5)]);
    expect(invokedAt[0]).toBe(firstPut + 2_000);
    expect(all.slice(1).map((c) => c.ids)).toEqual([ids(6, 11)]);
    // At the next poll, not at the end of a window.
    expect((invokedAt[1] as number) - fullPut).toBeLessThanOrEqual(POLL_MS);
    expect(invokedAt).toHaveLength(2);
    // The checkpoint is stamped by the runtime's clock too.
    const { rows: saved } = await pool.query(
      'SELECT updated_at FROM local_runtime.shard_checkpoints',
    );
    expect(saved.map((row) => row.updated_at.getTime())).toEqual([invokedAt[1]]);
  });

  it('retries a partial batch response from the lowest failed record, losing and doubling nothing', async () => {
    const stream = uniqueStreamName('esm-partial');
    await createStream(stream);
    const sequences = await putRecords(
      stream,
      ids(1, 10).map((id) => body(Number(id), id === '4' ? { fail: 2 } : {})),
    );

    run = await startFixtureRuntime(
      {
        streamName: stream,
        mapping: { BatchSize: 10, MaximumRetryAttempts: 5 },
        consumerEnv: { FIXTURE_FAILURE_MODE: 'report' },
      },
      { clock },
    );
    const { pool } = run;
    await clock.advanceBy(A_SECOND);
    const mapping = run.runtime.mappings[0];

    expect(mapping?.status().checkpoints['shardId-000000000000']).toBe(sequences[9]);
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

    run = await startFixtureRuntime(
      {
        streamName: stream,
        mapping: { BatchSize: 4, BisectBatchOnFunctionError: true, MaximumRetryAttempts: 3 },
        consumerEnv: { FIXTURE_FAILURE_MODE: 'throw' },
      },
      { clock },
    );
    const { pool } = run;
    await clock.advanceBy(A_SECOND);

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

    run = await startFixtureRuntime(
      {
        streamName: stream,
        mapping: { BatchSize: 4, BisectBatchOnFunctionError: true, MaximumRetryAttempts: 1 },
        consumerEnv: { FIXTURE_FAILURE_MODE: 'throw' },
      },
      { clock },
    );
    const { pool, runtime } = run;
    await clock.advanceBy(A_SECOND);
    const beforeRecord5 = [...(await deliveries(pool)).keys()].sort();
    await putRecords(stream, [body(5)]);
    await clock.advanceBy(POLL_MS);

    expect(beforeRecord5).toEqual(['1', '3', '4']);
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
    // Records 1 and 2 wait unread for 61 s of the runtime's clock, which
    // makes them older than the maximum age when the mapping starts.
    await clock.advanceBy(61_000);

    run = await startFixtureRuntime(
      { streamName: stream, mapping: { BatchSize: 10, MaximumRecordAgeInSeconds: 60 } },
      { clock },
    );
    const { pool, runtime } = run;
    const givenUpAt = clock.now();
    await clock.settle();
    const deadLettered = (await pool.query(`SELECT 1 FROM ${runtime.deadLetterTable}`)).rowCount;
    await putRecords(stream, [body(3)]);
    await clock.advanceBy(POLL_MS);

    expect(deadLettered).toBe(1);
    const { rows } = await pool.query(
      `SELECT batch_size, reason, attempts, payload FROM ${runtime.deadLetterTable}`,
    );
    expect(rows).toMatchObject([{ batch_size: 2, reason: 'RecordAgeExceeded', attempts: 0 }]);
    expect(rows[0].payload.responseContext).toEqual({ statusCode: 0, executedVersion: '$LATEST' });
    // The dead letter is stamped by the mapping's clock, not the system's.
    expect(Date.parse(rows[0].payload.timestamp)).toBe(givenUpAt);
    expect((await invocations(pool)).map((c) => c.ids)).toEqual([['3']]);
  });

  it('resumes after a restart from the checkpoint: nothing lost, nothing delivered twice', async () => {
    const stream = uniqueStreamName('esm-resume');
    run = await startFixtureRuntime(
      { streamName: stream, mapping: { BatchSize: 2, StartingPosition: 'LATEST' } },
      { clock },
    );
    const { pool } = run;
    await putRecords(
      stream,
      ids(1, 5).map((id) => body(Number(id))),
    );
    await clock.settle();
    const beforeTheStop = (await deliveries(pool)).size;
    await run.runtime.stop();

    await putRecords(
      stream,
      ids(6, 8).map((id) => body(Number(id))),
    );
    await run.restart();
    await clock.settle();

    expect(beforeTheStop).toBe(5);
    expect(Object.fromEntries(await deliveries(pool))).toEqual(
      Object.fromEntries(ids(1, 8).map((id) => [id, 1])),
    );
    const delivered = (await invocations(pool)).flatMap((c) => c.ids);
    expect(delivered).toEqual(ids(1, 8));
  });

  it('reads the child shards of a LATEST mapping from their start, records put before they were found included', async () => {
    const stream = uniqueStreamName('esm-reshard');
    run = await startFixtureRuntime(
      { streamName: stream, mapping: { BatchSize: 10, StartingPosition: 'LATEST' } },
      { clock },
    );
    const { pool } = run;
    const keys = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'DOGE-USD'];
    await putRecords(
      stream,
      ids(1, 5).map((id, i) => body(Number(id), { key: keys[i] })),
    );
    await clock.settle();
    const beforeTheStop = (await deliveries(pool)).size;
    await run.runtime.stop();

    // While the mapping is stopped: split into two shards and put records,
    // which land on the children before the mapping has seen them.
    await reshard(stream, 2);
    await putRecords(
      stream,
      ids(6, 15).map((id, i) => body(Number(id), { key: keys[i % keys.length] })),
    );
    await run.restart();
    // The parent is read to its end, then its children from their start.
    await clock.advanceBy(A_SECOND);

    expect(beforeTheStop).toBe(5);
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

    run = await startFixtureRuntime(
      {
        streamName: stream,
        shardCount: 2,
        mapping: { BatchSize: 3, ParallelizationFactor: 3 },
      },
      { clock },
    );
    const { pool } = run;
    await clock.settle();

    expect((await deliveries(pool)).size).toBe(40);
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
    run = await startFixtureRuntime(
      { streamName: stream, mapping: { StartingPosition: 'LATEST' } },
      { clock },
    );
    const { pool } = run;
    const before = Date.now() / 1000;
    const [sequence] = await putRecords(stream, [body(1)], 'BTC-USD');
    await clock.settle();

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
