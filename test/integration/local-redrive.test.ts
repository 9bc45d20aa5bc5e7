/**
 * Dead letters keep their records, and redrive delivers them to their
 * function again, through the path of a normal batch, once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createStream,
  deliveries,
  type FixtureRun,
  ids,
  invocations,
  putRecords,
  startFixtureRuntime,
  uniqueStreamName,
  waitFor,
} from '../fixtures/local/harness.ts';

let run: FixtureRun | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
});

describe('dead letters and redrive (kinesis-local, PostgreSQL)', () => {
  it('keeps the batch in the dead letter, and redrive delivers it once, retrying as a batch is', async () => {
    const stream = uniqueStreamName('esm-redrive');
    await createStream(stream);
    // Record 2 fails its first 5 deliveries: 4 before the mapping gives up
    // (the batch, its half, the record alone twice), 1 more in the redrive.
    await putRecords(
      stream,
      ids(1, 4).map((id) => ({ id: Number(id), ...(id === '2' ? { fail: 5 } : {}) })),
    );
    run = await startFixtureRuntime({
      streamName: stream,
      mapping: { BatchSize: 4, BisectBatchOnFunctionError: true, MaximumRetryAttempts: 1 },
      consumerEnv: { FIXTURE_FAILURE_MODE: 'throw' },
    });
    const { pool, runtime } = run;
    await waitFor(
      async () => (await pool.query(`SELECT 1 FROM ${runtime.deadLetterTable}`)).rowCount === 1,
      15_000,
      'a dead letter',
    );
    const { rows: kept } = await pool.query(
      `SELECT id::text, payload FROM ${runtime.deadLetterTable}`,
    );
    const record = kept[0].payload.payload.Records[0];
    expect(JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString())).toEqual({
      id: 2,
      fail: 5,
    });
    expect(record.eventID).toBe(`shardId-000000000000:${record.kinesis.sequenceNumber}`);

    const reports = await runtime.redrive();
    const again = await runtime.redrive();

    expect(reports).toMatchObject([
      {
        id: kept[0].id,
        function: 'Consumer',
        records: 1,
        reason: 'RetryAttemptsExhausted',
        outcome: { ok: true, invocations: 2 },
      },
    ]);
    expect(again).toEqual([]);
    expect(Object.fromEntries(await deliveries(pool))).toEqual(
      Object.fromEntries(ids(1, 4).map((id) => [id, 1])),
    );
    const redriveCalls = (await invocations(pool)).filter((c) => c.ids.join() === '2');
    expect(redriveCalls).toHaveLength(4); // 2 alone before the dead letter, 2 in the redrive
    const { rows } = await pool.query(
      `SELECT redriven_at IS NOT NULL AS redriven, redrive_attempts, redrive_error FROM ${runtime.deadLetterTable}`,
    );
    expect(rows).toEqual([{ redriven: true, redrive_attempts: 1, redrive_error: null }]);
  });

  it('leaves a dead letter that keeps no records pending, saying why', async () => {
    run = await startFixtureRuntime({
      streamName: uniqueStreamName('esm-old-dlq'),
      mapping: {},
    });
    const { pool, runtime } = run;
    // A dead letter as an SQS destination, or this runtime before it kept records, wrote it.
    const { rows: inserted } = await pool.query(
      `INSERT INTO ${runtime.deadLetterTable}
         (mapping_id, function_name, stream_arn, shard_id, start_sequence_number,
          end_sequence_number, batch_size, first_arrival, last_arrival, reason, attempts, payload)
       VALUES ('m', $1, 's', 'shardId-000000000000', '1', '1', 1,
               now(), now(), 'RetryAttemptsExhausted', 3, '{"version":"1.0"}')
       RETURNING id::text`,
      [runtime.functions.find((f) => f.name === 'Consumer')?.functionName],
    );

    const reports = await runtime.redrive();

    expect(reports).toMatchObject([
      {
        id: inserted[0].id,
        outcome: { ok: false, error: expect.stringMatching(/keeps no records/) },
      },
    ]);
    const { rows } = await pool.query(
      `SELECT redriven_at, redrive_attempts FROM ${runtime.deadLetterTable}`,
    );
    expect(rows).toEqual([{ redriven_at: null, redrive_attempts: 1 }]);
  });
});
