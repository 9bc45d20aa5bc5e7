import { afterEach, describe, expect, inject, it } from 'vitest';
import { startLocalRuntime } from '../../local/runtime.ts';
import { StoppedError } from '../../local/shared/backoff.ts';
import { createDrivenClock } from '../../local/shared/driven-clock.ts';
import { writeFixtureAssembly } from '../fixtures/local/assembly.ts';
import {
  FAST,
  type FixtureRun,
  startFixtureRuntime,
  uniqueStreamName,
  waitFor,
} from '../fixtures/local/harness.ts';
import { freshDatabase } from '../support/db.ts';

let run: FixtureRun | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
});

interface ScheduledRow {
  event: Record<string, unknown>;
  env: Record<string, string | null>;
  at: Date;
}

async function scheduledRows(run: FixtureRun): Promise<ScheduledRow[]> {
  const { rows } = await run.pool.query<ScheduledRow>(
    'SELECT event, env, at FROM fixture.scheduled ORDER BY id',
  );
  return rows;
}

describe('local runtime', () => {
  it('runs the custom resource first, with the request CloudFormation would send', async () => {
    const stream = uniqueStreamName('rt-cr');

    run = await startFixtureRuntime({ streamName: stream, mapping: false });

    const { rows } = await run.pool.query('SELECT event FROM fixture.custom_resource_requests');
    expect(rows).toHaveLength(1);
    expect(rows[0].event).toEqual({
      RequestType: 'Create',
      ServiceToken:
        'arn:aws:lambda:us-east-1:000000000000:function:Fixture-MigrationsProviderframeworkonEvent33437111',
      ResponseURL: expect.stringMatching(/^http:\/\/127\.0\.0\.1/),
      StackId: expect.stringMatching(
        /^arn:aws:cloudformation:us-east-1:000000000000:stack\/Fixture\//,
      ),
      RequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      LogicalResourceId: 'Migrations',
      ResourceType: 'Custom::Migrations',
      ResourceProperties: {
        ServiceToken:
          'arn:aws:lambda:us-east-1:000000000000:function:Fixture-MigrationsProviderframeworkonEvent33437111',
        Hash: 'abc123',
        // CloudFormation passes every scalar property as a string.
        Count: '2',
        Stream: stream,
      },
    });
    expect(run.runtime.functions.find((f) => f.name === 'framework-onEvent')).toMatchObject({
      hosted: false,
    });
  });

  it('fails to start, with the function error, when the custom resource fails', async () => {
    const assembly = await writeFixtureAssembly({
      streamName: uniqueStreamName('rt-crfail'),
      mapping: false,
    });
    const { url, pool } = await freshDatabase('local_runtime');
    try {
      const starting = startLocalRuntime({
        ...FAST,
        cdkOut: assembly.dir,
        databaseUrl: url,
        kinesisEndpoint: inject('kinesisEndpoint'),
        env: {},
        functionEnv: { Migrate: { FIXTURE_MIGRATE_FAIL: '1' } },
      });

      await expect(starting).rejects.toMatchObject({ name: 'CustomResourceError' });
      await expect(starting).rejects.toThrow(
        /Migrations \(Custom::Migrations\) failed in Migrate: MigrationError: migration 002 failed/,
      );
    } finally {
      await pool.end();
      await assembly.remove();
    }
  });

  it('fires a schedule at start and then every period, with a ScheduledEvent and the local environment', async () => {
    const stream = uniqueStreamName('rt-schedule');
    const clock = createDrivenClock('2026-03-31T23:59:30Z');

    run = await startFixtureRuntime(
      { streamName: stream, mapping: false, schedule: { expression: 'rate(1 minute)' } },
      { clock, functionEnv: { Scheduled: { PRICE_SOURCE: 'sim' } } },
    );
    // The first firing is due at start: it runs before the clock moves.
    await clock.settle();
    expect((await scheduledRows(run)).map((r) => r.event.time)).toEqual(['2026-03-31T23:59:30Z']);
    await clock.advanceTo('2026-04-01T00:01:59Z');

    const rows = await scheduledRows(run);
    // rate(1 minute): at start, then every 60 s of the runtime's clock, across the month end.
    expect(rows.map((r) => r.event.time)).toEqual([
      '2026-03-31T23:59:30Z',
      '2026-04-01T00:00:30Z',
      '2026-04-01T00:01:30Z',
    ]);
    const first = rows[0] as ScheduledRow;
    expect(first.event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: '2026-03-31T23:59:30Z',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/Fixture-EveryMinute6C7D8E9F'],
      detail: {},
    });
    expect(first.env).toEqual({
      PRICE_SOURCE: 'sim',
      STREAM_NAME: stream,
      DATABASE_SSL: 'disable',
      DATABASE_SECRET_ARN: null,
      AWS_ENDPOINT_URL_KINESIS: inject('kinesisEndpoint'),
      AWS_LAMBDA_FUNCTION_NAME: 'Fixture-Scheduled2B3C4D5E',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    });
  });

  it("sends a target's Input instead of a ScheduledEvent, and can leave schedules off", async () => {
    const stream = uniqueStreamName('rt-input');
    run = await startFixtureRuntime({
      streamName: stream,
      mapping: false,
      schedule: { expression: 'rate(5 minutes)', input: { backfill: true } },
    });
    const current = run;
    await waitFor(
      async () => (await scheduledRows(current)).length === 1,
      10_000,
      'the scheduled invocation',
    );
    const scheduled = (await scheduledRows(run)).map((r) => r.event);
    await run.runtime.stop();
    await run.pool.query('TRUNCATE fixture.scheduled');

    const second = await run.restart({ schedules: false });
    await second.invoke('Scheduled', { byHand: true });

    expect(scheduled).toEqual([{ backfill: true }]);
    expect((await scheduledRows(run)).map((r) => r.event)).toEqual([{ byHand: true }]);
  });

  it('fires a cron schedule at its minutes on a driven clock, across a day boundary', async () => {
    const clock = createDrivenClock('2026-01-31T22:30:00Z');
    run = await startFixtureRuntime(
      {
        streamName: uniqueStreamName('rt-cron'),
        mapping: false,
        schedule: { expression: 'cron(5 * * * ? *)' },
      },
      { clock },
    );
    const listed = run.runtime.schedules().map((s) => s.nextFirings.map((d) => d.toISOString()));

    await clock.advanceTo('2026-02-01T01:30:00Z');

    // Each invocation has run (and written its row) by the time the advance returns.
    expect((await scheduledRows(run)).map((r) => r.event.time)).toEqual([
      '2026-01-31T23:05:00Z',
      '2026-02-01T00:05:00Z',
      '2026-02-01T01:05:00Z',
    ]);
    expect(listed).toEqual([
      ['2026-01-31T23:05:00.000Z', '2026-02-01T00:05:00.000Z', '2026-02-01T01:05:00.000Z'],
    ]);
  });

  it('fires a rule now on request, with the time of the runtime’s clock', async () => {
    const clock = createDrivenClock('2026-01-31T22:30:00Z');
    run = await startFixtureRuntime(
      {
        streamName: uniqueStreamName('rt-fire'),
        mapping: false,
        schedule: { expression: 'cron(0 0 1 1 ? 2199)' },
      },
      { clock },
    );

    const fired = run.runtime.fire('EveryMinute');
    await Promise.all(fired.map((f) => f.result));

    expect(fired.map((f) => f.rule)).toEqual(['EveryMinute']);
    expect((await scheduledRows(run)).map((r) => r.event.time)).toEqual(['2026-01-31T22:30:00Z']);
    expect(() => run?.runtime.fire('Nope')).toThrow(/no schedule rule "Nope".*EveryMinute/);
  });

  it('stops cleanly: no more invocations afterwards', async () => {
    run = await startFixtureRuntime({ streamName: uniqueStreamName('rt-stop'), mapping: false });
    const { runtime } = run;

    await runtime.stop();

    await expect(runtime.invoke('Scheduled', {})).rejects.toBeInstanceOf(StoppedError);
    await expect(runtime.stop()).resolves.toBeUndefined();
  });
});
