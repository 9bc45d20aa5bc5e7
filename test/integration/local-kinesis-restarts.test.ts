/**
 * The event source mapping when kinesis-local loses what it had: restored
 * from a save older than the mapping's checkpoint (it saves every few
 * seconds, and a crash loses what came since), with the runtime stopped or running;
 * and a stream deleted under a running runtime. Each runs its own
 * kinesis-local, which the test stops, crashes and restores.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { PollingShardReader } from '../../local/kinesis/shard-reader.ts';
import { type KinesisService, startKinesisLocal } from '../../local/services/kinesis.ts';
import type { RuntimeListeners } from '../../local/shared/runtime-events.ts';
import {
  createStream,
  deliveries,
  type FixtureRun,
  ids,
  invocations,
  putRecords,
  startFixtureRuntime,
  testKinesis,
  uniqueStreamName,
  waitFor,
} from '../fixtures/local/harness.ts';

const PORT = Number(process.env.PRICESTREAM_TEST_KINESIS_RESTART_PORT ?? 4728);
const SAVE = 'kinesis-data.json';
/**
 * How long a delivery may take. Generous: in `npm test` these run beside
 * whole pipelines on two cores, and a miss fails with the runtime's notes.
 */
const DELIVERY_WAIT_MS = 40_000;
/** Three deliveries and three kinesis-local starts, each of which may be slow. */
const SLOW = { timeout: 180_000 };

let run: FixtureRun | undefined;
let kinesis: KinesisService | undefined;
let dir: string | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
  await kinesis?.stop();
  kinesis = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const body = (id: number) => ({ id });
const startKinesis = async () => {
  kinesis = await startKinesisLocal({ port: PORT, persistDir: dir as string });
  return kinesis.endpoint;
};
const delivered = async () => (await deliveries((run as FixtureRun).pool)).size;
const deadLetters = async () =>
  (await (run as FixtureRun).pool.query('SELECT 1 FROM local_runtime.dead_letters')).rowCount;
const deliveredOnce = async (from: number, to: number) =>
  expect(Object.fromEntries(await deliveries((run as FixtureRun).pool))).toEqual(
    Object.fromEntries(ids(from, to).map((id) => [id, 1])),
  );

/** A kinesis-local of its own, saving to a new folder, with a one-shard stream. */
async function ownKinesis(prefix: string) {
  const saves = await mkdtemp(path.join(tmpdir(), `pricestream-kinesis-${prefix}-`));
  dir = saves;
  const stream = uniqueStreamName(prefix);
  const endpoint = await startKinesis();
  await createStream(stream, 1, endpoint);
  return { stream, endpoint, saves };
}

describe('event source mapping when kinesis-local loses records', SLOW, () => {
  it('after a restore older than the checkpoint, goes on from the checkpoint, replaying nothing', async () => {
    const { stream, endpoint: first, saves } = await ownKinesis('esm-restore');
    let endpoint = first;
    const notes: string[] = [];
    const listeners = recordNotices(notes);
    run = await startFixtureRuntime(
      { streamName: stream, mapping: { BatchSize: 10 } },
      { kinesisEndpoint: endpoint, listeners },
    );
    await putRecords(stream, ids(1, 5).map(Number).map(body), 'k', endpoint);
    await waitFor(async () => (await delivered()) === 5, DELIVERY_WAIT_MS, '1–5');
    await run.runtime.stop();
    await kinesis?.stop(); // saves records 1–5
    await copyFile(path.join(saves, SAVE), path.join(saves, `${SAVE}.older`));

    endpoint = await startKinesis();
    const second = await run.restart({ kinesisEndpoint: endpoint, listeners });
    await putRecords(stream, ids(6, 8).map(Number).map(body), 'k', endpoint);
    await waitFor(async () => (await delivered()) === 8, DELIVERY_WAIT_MS, '6–8');
    await second.stop();
    await kinesis?.stop();
    // The crash: kinesis-local comes back with the older save, without 6–8,
    // and numbers new records as it numbered those.
    await copyFile(path.join(saves, `${SAVE}.older`), path.join(saves, SAVE));
    endpoint = await startKinesis();
    await putRecords(stream, ids(9, 11).map(Number).map(body), 'k', endpoint);
    await run.restart({ kinesisEndpoint: endpoint, listeners });
    await waitFor(async () => (await delivered()) === 11, DELIVERY_WAIT_MS, '9–11').catch(
      withNotes(notes),
    );

    await deliveredOnce(1, 11);
    expect(await deadLetters()).toBe(0);
  });

  it('while running, goes on after records vanish under it, instead of retrying forever', async () => {
    const { stream, endpoint: first, saves } = await ownKinesis('esm-vanish');
    let endpoint = first;
    await putRecords(stream, ids(1, 5).map(Number).map(body), 'k', endpoint);
    // Stopped (which saves 1–5) for a clean copy.
    await kinesis?.stop();
    await copyFile(path.join(saves, SAVE), path.join(saves, `${SAVE}.older`));
    endpoint = await startKinesis();

    const notes: string[] = [];
    run = await startFixtureRuntime(
      { streamName: stream, mapping: { BatchSize: 10 } },
      { kinesisEndpoint: endpoint, listeners: recordNotices(notes) },
    );
    await putRecords(stream, ids(6, 8).map(Number).map(body), 'k', endpoint);
    await waitFor(async () => (await delivered()) === 8, DELIVERY_WAIT_MS, '1–8');
    // Crash kinesis-local under the running runtime, and bring it back older.
    process.kill(kinesis?.pid as number, 'SIGKILL');
    await waitFor(async () => !(await isListening(endpoint)), 5_000, 'kinesis-local gone');
    await copyFile(path.join(saves, `${SAVE}.older`), path.join(saves, SAVE));
    endpoint = await startKinesis();
    await putRecords(stream, ids(9, 11).map(Number).map(body), 'k', endpoint);
    await waitFor(async () => (await delivered()) === 11, DELIVERY_WAIT_MS, '9–11').catch(
      withNotes(notes),
    );

    await deliveredOnce(1, 11);
    expect(await deadLetters()).toBe(0);
  });
});

describe('a polling shard reader that saw no error while kinesis-local was restored', SLOW, () => {
  it("checks its position again after recheckMs, and reads the records that took lost ones' numbers", async () => {
    const { stream, endpoint: first, saves } = await ownKinesis('reader-renumber');
    let endpoint = first;
    await putRecords(stream, ids(1, 5).map(Number).map(body), 'k', endpoint);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await putRecords(stream, ids(6, 8).map(Number).map(body), 'k', endpoint);
    await kinesis?.stop(); // saves 1–8
    endpoint = await startKinesis();

    let now = 1_000_000;
    const warnings: string[] = [];
    const client = testKinesis(endpoint);
    const stop = new AbortController();
    const reader = new PollingShardReader(client, {
      streamName: stream,
      shardId: 'shardId-000000000000',
      start: { type: 'TRIM_HORIZON' },
      limit: 100,
      pollIntervalMs: 100,
      recheckMs: 10_000,
      clock: () => now,
      reporter: { unavailable: () => {}, recovered: () => {}, warn: (m) => warnings.push(m) },
    });
    const read = async () =>
      (await reader.read(stop.signal)).records.map((r) =>
        String(JSON.parse(Buffer.from(r.data).toString()).id),
      );
    try {
      expect(await read()).toEqual(ids(1, 8));

      // The crash: kinesis-local comes back without 6–8, and with 9–11 under
      // their numbers (as when 9–11 are put within the second 6–8 were). The
      // reader is between two polls and sees no error.
      process.kill(kinesis?.pid as number, 'SIGKILL');
      await waitFor(async () => !(await isListening(endpoint)), 5_000, 'kinesis-local gone');
      await renumberLastThree(path.join(saves, SAVE), stream);
      endpoint = await startKinesis();

      // The iterator it holds goes on after the number that now names 11.
      expect(await read()).toEqual([]);
      now += 9_999;
      expect(await read()).toEqual([]);
      expect(warnings).toEqual([]);
      now += 1;
      expect(await read()).toEqual(ids(9, 11));
      expect(warnings).toEqual([
        expect.stringMatching(/the record at \d+ is not the one read there/),
      ]);
    } finally {
      // Before afterEach stops kinesis-local, which saves only once its clients are gone.
      stop.abort();
      client.destroy();
    }
  });
});

describe('event source mapping when its stream is deleted', SLOW, () => {
  it('creates the stream again as the template says, and reads what is put on it', async () => {
    const stream = uniqueStreamName('esm-deleted');
    const notes: string[] = [];
    run = await startFixtureRuntime(
      { streamName: stream, mapping: { BatchSize: 10 } },
      { shardRefreshMs: 500, listeners: recordNotices(notes) },
    );
    await putRecords(stream, ids(1, 3).map(Number).map(body));
    await waitFor(async () => (await delivered()) === 3, DELIVERY_WAIT_MS, '1–3');
    const client = testKinesis();
    try {
      await client.send(new DeleteStreamCommand({ StreamName: stream }));
      const before = Date.now();
      await waitFor(
        async () => {
          const summary = await client
            .send(new DescribeStreamSummaryCommand({ StreamName: stream }))
            .catch(() => undefined);
          const created = summary?.StreamDescriptionSummary?.StreamCreationTimestamp?.getTime();
          return (
            summary?.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' &&
            (created ?? 0) >= before - 1_000
          );
        },
        15_000,
        'the stream created again',
      );
    } finally {
      client.destroy();
    }
    await putRecords(stream, ids(4, 6).map(Number).map(body));
    // By the ids the function was invoked with, so that a second invocation
    // with 1–3 shows: the new stream's records can carry the old ones'
    // sequence numbers (kinesis-local numbers them by the shard's creation
    // second and an index).
    const invokedIds = async () =>
      (await invocations((run as FixtureRun).pool)).flatMap((call) => call.ids).sort();
    await waitFor(async () => (await invokedIds()).length >= 6, DELIVERY_WAIT_MS, '4–6').catch(
      withNotes(notes),
    );

    expect(await invokedIds()).toEqual(ids(1, 6));
  });
});

/** The runtime's notices and batches, to show when a wait times out (these waits depend on load). */
function recordNotices(notes: string[]): RuntimeListeners {
  const at = () => new Date().toISOString().slice(11, 23);
  return {
    notice: (n) => notes.push(`${at()} ${n.source}: ${n.message}`),
    batch: (b) =>
      notes.push(`${at()} batch of ${b.size} on ${b.shardId}: ${b.outcome} (attempt ${b.attempt})`),
  };
}

const withNotes = (notes: string[]) => (error: unknown) => {
  throw new Error(`${(error as Error).message}\nthe runtime said:\n${notes.join('\n')}`);
};

/**
 * Rewrites kinesis-local's save of `stream` (one shard) as if its last three
 * records had been lost and three others put a second later had been given
 * their sequence numbers: ids 6–8 become 9–11, arriving 1 s later.
 */
async function renumberLastThree(file: string, stream: string): Promise<void> {
  type Saved = { ApproximateArrivalTimestamp: number; Data: string };
  const save = JSON.parse(await readFile(file, 'utf8')) as {
    streams: Record<string, { streamName: string; shards: Record<string, Saved[]> }>;
  };
  const saved = Object.values(save.streams).find((s) => s.streamName === stream);
  const records = Object.values(saved?.shards ?? {})[0] ?? [];
  expect(records).toHaveLength(8);
  for (const record of records.slice(5)) {
    const { id } = JSON.parse(Buffer.from(record.Data, 'base64').toString()) as { id: number };
    record.Data = Buffer.from(JSON.stringify(body(id + 3))).toString('base64');
    record.ApproximateArrivalTimestamp += 1;
  }
  await writeFile(file, JSON.stringify(save));
}

async function isListening(endpoint: string): Promise<boolean> {
  return fetch(endpoint).then(
    () => true,
    () => false,
  );
}
