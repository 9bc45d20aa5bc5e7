/**
 * Start-up against services that are not ready yet: a PostgreSQL that
 * starts listening a little later, Kinesis answering "rate exceeded" (as
 * kinesis-local does under load), and one that never comes.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startLocalRuntime } from '../../local/runtime.ts';
import type { Notice } from '../../local/shared/runtime-events.ts';
import { writeFixtureAssembly } from '../fixtures/local/assembly.ts';
import {
  deliveries,
  type FixtureRun,
  putRecords,
  startFixtureRuntime,
  uniqueStreamName,
  waitFor,
} from '../fixtures/local/harness.ts';
import { startKinesisFaultProxy } from '../support/kinesis-fault-proxy.ts';
import { lateRelay as lateRelayOf } from '../support/late-relay.ts';

let run: FixtureRun | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await run?.close();
  run = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function lateRelay(target: URL) {
  const relay = await lateRelayOf(target);
  cleanups.push(() => relay.close());
  return relay;
}

const noticesOf = (list: Notice[]) => list.map((n) => n.message);

describe('local runtime start-up', () => {
  it('waits for Kinesis that answers "rate exceeded", a line per attempt', async () => {
    const proxy = await startKinesisFaultProxy(inject('kinesisEndpoint'));
    cleanups.push(() => proxy.close());
    proxy.rateLimitNext(3);
    const notices: Notice[] = [];
    const stream = uniqueStreamName('rt-throttled');

    run = await startFixtureRuntime(
      { streamName: stream, mapping: { BatchSize: 10 } },
      {
        kinesisEndpoint: proxy.endpoint,
        listeners: { notice: (n) => notices.push(n) },
      },
    );
    await putRecords(stream, [{ id: 1 }]);
    await waitFor(async () => (await deliveries(run?.pool as FixtureRun['pool'])).size === 1);

    const waits = noticesOf(notices).filter((m) => m.startsWith('waiting for Kinesis'));
    expect(waits).toHaveLength(3);
    expect(waits[0]).toMatch(/attempt 1, .*LimitExceededException: Rate exceeded/);
  });

  it('waits for a PostgreSQL that starts listening later, then starts normally', async () => {
    const database = new URL(inject('databaseUrl'));
    const relay = await lateRelay(database);
    const late = new URL(database);
    late.port = String(relay.port);
    const notices: Notice[] = [];
    setTimeout(() => void relay.open(), 2_000);

    run = await startFixtureRuntime(
      { streamName: uniqueStreamName('rt-late-db'), mapping: false },
      { databaseUrl: late.toString(), listeners: { notice: (n) => notices.push(n) } },
    );

    const waits = noticesOf(notices).filter((m) => m.startsWith('waiting for PostgreSQL'));
    expect(waits.length).toBeGreaterThanOrEqual(1);
    expect(waits[0]).toMatch(/attempt 1, 0 s\): .*ECONNREFUSED/);
    expect(run.runtime.databaseUrl).toBe(late.toString());
  });

  it('gives up after the wait limit with one clear error', async () => {
    const relay = await lateRelay(new URL(inject('databaseUrl'))); // never opened
    const assembly = await writeFixtureAssembly({
      streamName: uniqueStreamName('rt-no-db'),
      mapping: false,
    });
    cleanups.push(() => assembly.remove());

    const starting = startLocalRuntime({
      synth: false,
      cdkOut: assembly.dir,
      databaseUrl: `postgres://postgres:postgres@127.0.0.1:${relay.port}/none`,
      kinesisEndpoint: inject('kinesisEndpoint'),
      env: {},
      startWaitMs: 1_500,
    });

    await expect(starting).rejects.toMatchObject({ name: 'StartTimeoutError' });
    await expect(starting).rejects.toThrow(
      /^PostgreSQL did not become available within 2 s: .*ECONNREFUSED/,
    );
  });

  it('stops at once, in one line naming the server, when PostgreSQL is up and says no', async () => {
    const assembly = await writeFixtureAssembly({
      streamName: uniqueStreamName('rt-wrong-db'),
      mapping: false,
    });
    cleanups.push(() => assembly.remove());
    const wrong = new URL(inject('databaseUrl'));
    wrong.pathname = '/no_such_database';
    const notices: Notice[] = [];

    const starting = startLocalRuntime({
      synth: false,
      cdkOut: assembly.dir,
      databaseUrl: wrong.toString(),
      kinesisEndpoint: inject('kinesisEndpoint'),
      env: {},
      startWaitMs: 60_000,
      listeners: { notice: (n) => notices.push(n) },
    });

    await expect(starting).rejects.toMatchObject({ name: 'StartRefusedError' });
    await expect(starting).rejects.toThrow(
      /^PostgreSQL at postgres:\/\/.*\/no_such_database \(DATABASE_URL\) said: database "no_such_database" does not exist \(SQLSTATE 3D000\)$/,
    );
    expect(noticesOf(notices).filter((m) => m.startsWith('waiting for'))).toEqual([]);
  });
});
