/**
 * The stream's retention on kinesis-local (local/kinesis/retention.ts): a
 * record goes once it is older than the retention and every mapping is past
 * it. A consumer held back until its records age out gives each of them up
 * once, to its dead letters, and `redrive` delivers each once. The
 * runtime's clock is driven: the retention is passed, and the held-back
 * consumer retries, only when the test advances it, so each decision below
 * is taken between two of its retries.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createDrivenClock } from '../../local/shared/driven-clock.ts';
import {
  type FixtureRun,
  ids,
  putRecords,
  startFixtureRuntime,
  testKinesis,
  uniqueStreamName,
  waitFor,
} from '../fixtures/local/harness.ts';

const RETENTION_MINUTES = 1;

let run: FixtureRun | undefined;
let dir: string | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Records delivered to `fn`, by id: how many times each. */
async function deliveredTo(pool: pg.Pool, fn: string): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ id: string; deliveries: number }>(
    `SELECT id, deliveries FROM fixture.deliveries WHERE function_name LIKE $1 ORDER BY id::int`,
    [`%${fn}%`],
  );
  return Object.fromEntries(rows.map((row) => [row.id, row.deliveries]));
}

/** The ids in the dead letters of `fn`'s mapping, once per dead-lettered record. */
async function deadLettered(pool: pg.Pool, fn: string) {
  const { rows } = await pool.query<{ reason: string; ids: string[]; redriven: boolean }>(
    `SELECT reason, redriven_at IS NOT NULL AS redriven,
            ARRAY(SELECT convert_from(decode(r->'kinesis'->>'data', 'base64'), 'UTF8')::json->>'id'
                  FROM jsonb_array_elements(payload->'payload'->'Records') AS r) AS ids
     FROM local_runtime.dead_letters WHERE function_name LIKE $1 ORDER BY id`,
    [`%${fn}%`],
  );
  return rows;
}

async function streamIds(stream: string): Promise<string[]> {
  const kinesis = testKinesis();
  try {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: 'shardId-000000000000',
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 1000 }));
    return (page.Records ?? []).map((record) =>
      String(JSON.parse(Buffer.from(record.Data ?? new Uint8Array()).toString()).id),
    );
  } finally {
    kinesis.destroy();
  }
}

const once = (from: number, to: number) => Object.fromEntries(ids(from, to).map((id) => [id, 1]));

describe('the retention on kinesis-local', () => {
  it('dead-letters once the records a held-back consumer lets age out, redrives each once, and then drops them', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pricestream-retention-'));
    const hold = path.join(dir, 'hold');
    // The held-back consumer's invocations fail while the file exists.
    await writeFile(hold, 'held');
    const stream = uniqueStreamName('retention');
    const clock = createDrivenClock();
    // Retried until the records are too old: only the retention ends it.
    const mapping = { MaximumRetryAttempts: -1, BatchSize: 10 };
    run = await startFixtureRuntime(
      { streamName: stream, mapping, second: { mapping, env: { FIXTURE_HOLD_FILE: hold } } },
      {
        retentionMinutes: RETENTION_MINUTES,
        trimStreams: true,
        // Applied when the test says so.
        trimIntervalMs: 3_600_000,
        // Clock time is free, but each poll is a real GetRecords: few of them.
        pollIntervalMs: 10_000,
        // Retries 30 s apart: at 30 and 60 s the records are within the
        // retention (60 s), at 90 s they are older.
        retryBackoff: { initialDelayMs: 30_000, maxDelayMs: 30_000 },
        clock,
      },
    );
    const { runtime, pool } = run;
    const start = clock.now();
    expect(runtime.retentionMs[stream]).toBe(60_000);
    const heldBackInvocations = async () =>
      (await pool.query(`SELECT 1 FROM fixture.invocations WHERE function_name LIKE '%Second%'`))
        .rowCount;

    // One by one: a mapping releases what arrived before its checkpointed
    // record, and records put together share their arrival time.
    for (let id = 1; id <= 5; id++) {
      await putRecords(stream, [{ id }]);
      const put = Date.now();
      await waitFor(() => Date.now() > put, 1_000, 'the clock to move on');
    }
    // The first polls: the first consumer processes 1-5, the held-back one fails them.
    await clock.settle();
    expect(await deliveredTo(pool, 'Consumer')).toEqual(once(1, 5));
    expect(await heldBackInvocations()).toBe(1);

    // Within the retention, and the held-back consumer is not past them: all stay.
    await runtime.trimStreams();
    expect(await streamIds(stream)).toEqual(ids(1, 5));

    // Past the retention (retried at 30 and 60 s, within it): the first
    // consumer is past them, the held-back one is not.
    await clock.advanceTo(start + RETENTION_MINUTES * 60_000 + 1_000);
    expect(await heldBackInvocations()).toBe(3);
    const [asked] = await runtime.trimStreams();
    expect(Object.keys(asked?.before ?? {})).toEqual([]);
    expect(await streamIds(stream)).toEqual(ids(1, 5));

    // Its next retry, at 90 s, finds them too old: each is given up once, to its dead letters.
    await clock.advanceTo(start + 90_000);
    expect(await heldBackInvocations()).toBe(3);
    const letters = await deadLettered(pool, 'Second');
    expect(letters.flatMap((d) => d.ids).sort()).toEqual(ids(1, 5));
    expect(new Set(letters.map((d) => d.reason))).toEqual(new Set(['RecordAgeExceeded']));
    expect(await deadLettered(pool, 'Consumer')).toEqual([]);
    const second = runtime.mappings.find((m) => m.name.startsWith('Second'));
    expect(second?.status()).toMatchObject({ recordsDeadLettered: 5, recordsAgedOut: 5 });

    // Every mapping is past them now: they go, but for the shard's newest record.
    await waitFor(
      async () => {
        await runtime.trimStreams();
        return (await streamIds(stream)).length === 1;
      },
      20_000,
      'the stream to drop 1-4',
    );
    expect(await streamIds(stream)).toEqual(['5']);

    // Let go of it, and redrive: each record delivered once, nowhere twice.
    await rm(hold);
    const reports = await clock.run(() => runtime.redrive());
    expect(reports.every((report) => report.outcome.ok)).toBe(true);
    expect(await deliveredTo(pool, 'Second')).toEqual(once(1, 5));
    expect(await deliveredTo(pool, 'Consumer')).toEqual(once(1, 5));
    expect((await deadLettered(pool, 'Second')).every((d) => d.redriven)).toBe(true);

    // Records put after the trim are read by both, once: kinesis-local
    // stamps 6 with the real clock, which the runtime reads as its own now.
    await putRecords(stream, [{ id: 6 }]);
    await clock.advanceBy(10_000);
    expect(await deliveredTo(pool, 'Second')).toEqual(once(1, 6));
    expect(await deliveredTo(pool, 'Consumer')).toEqual(once(1, 6));
    expect((await deadLettered(pool, 'Second')).flatMap((d) => d.ids)).toHaveLength(5);
  });
});
