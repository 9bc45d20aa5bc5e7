import { afterEach, describe, expect, it } from 'vitest';
import type { ScheduleRuleModel } from '../../local/assembly/stack-model.ts';
import { type RateStart, Scheduler, scheduledEvent } from '../../local/eventbridge/scheduler.ts';
import { createDrivenClock, type DrivenClock } from '../../local/shared/driven-clock.ts';
import { RuntimeEvents } from '../../local/shared/runtime-events.ts';

describe('scheduledEvent', () => {
  it('has the shape EventBridge sends, time to the second', () => {
    const event = scheduledEvent(
      { arn: 'arn:aws:events:us-east-1:000000000000:rule/Fetch' },
      { region: 'us-east-1', account: '000000000000' },
      new Date('2026-11-25T17:00:00.123Z'),
    );

    expect(event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: '2026-11-25T17:00:00Z',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/Fetch'],
      detail: {},
    });
  });
});

const rule = (overrides: Partial<ScheduleRuleModel> = {}): ScheduleRuleModel => ({
  logicalId: 'Rule1A2B3C4D',
  displayName: 'Rule',
  name: 'Stack-Rule',
  arn: 'arn:aws:events:us-east-1:000000000000:rule/Stack-Rule',
  scheduleExpression: 'rate(1 minute)',
  enabled: true,
  targets: [{ id: 'Target0', functionLogicalId: 'Fetch', input: undefined }],
  otherTargets: [],
  ...overrides,
});

interface Fired {
  /** The driven clock's time when the invocation started, as an ISO minute. */
  at: string;
  fn: string;
  event: unknown;
}

describe('Scheduler on a driven clock', () => {
  let scheduler: Scheduler | undefined;
  afterEach(() => scheduler?.stop());

  function start(
    rules: ScheduleRuleModel[],
    from: string,
    options: {
      rateStart?: RateStart;
      include?: () => boolean;
      clock?: DrivenClock;
      timeScale?: number;
    } = {},
  ) {
    const clock = options.clock ?? createDrivenClock(from);
    const fired: Fired[] = [];
    const notices: string[] = [];
    const events = new RuntimeEvents();
    events.on('notice', (n) => notices.push(`${n.source}: ${n.message}`));
    scheduler = new Scheduler({
      rules,
      region: 'us-east-1',
      account: '000000000000',
      events,
      clock,
      ...(options.rateStart ? { rateStart: options.rateStart } : {}),
      ...(options.include ? { include: options.include } : {}),
      ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
      invoke: async (fn, event) => {
        fired.push({ at: new Date(clock()).toISOString().slice(0, 16), fn, event });
      },
    });
    scheduler.start();
    const minutes = (fn?: string) => fired.filter((f) => !fn || f.fn === fn).map((f) => f.at);
    return { clock, fired, notices, scheduler, minutes };
  }

  it('fires cron(5 * * * ? *) at five past every hour, across a day and a month boundary', async () => {
    const { clock, minutes } = start(
      [rule({ scheduleExpression: 'cron(5 * * * ? *)' })],
      '2026-01-31T22:30:00Z',
    );

    await clock.advanceTo('2026-02-01T02:00:00Z');

    expect(minutes()).toEqual(['2026-01-31T23:05', '2026-02-01T00:05', '2026-02-01T01:05']);
  });

  it('fires cron(0/10 8-17 ? * MON-FRI *) every ten minutes of the working day, not at the weekend', async () => {
    const { clock, minutes } = start(
      [rule({ scheduleExpression: 'cron(0/10 8-17 ? * MON-FRI *)' })],
      // Friday 17:30
      '2026-01-30T17:30:00Z',
    );

    await clock.advanceTo('2026-02-02T08:25:00Z');

    expect(minutes()).toEqual([
      '2026-01-30T17:40',
      '2026-01-30T17:50',
      '2026-02-02T08:00',
      '2026-02-02T08:10',
      '2026-02-02T08:20',
    ]);
  });

  it('fires an L rule on the last day of each month, 29 February in a leap year', async () => {
    const { clock, minutes } = start(
      [rule({ scheduleExpression: 'cron(0 23 L * ? *)' })],
      '2028-01-30T00:00:00Z',
    );

    await clock.advanceTo('2028-04-01T00:00:00Z');

    expect(minutes()).toEqual(['2028-01-31T23:00', '2028-02-29T23:00', '2028-03-31T23:00']);
  });

  it('fires a # rule on the second Tuesday of each month', async () => {
    const { clock, minutes } = start(
      [rule({ scheduleExpression: 'cron(0 9 ? * 3#2 *)' })],
      '2026-02-01T00:00:00Z',
    );

    await clock.advanceTo('2026-05-01T00:00:00Z');

    expect(minutes()).toEqual(['2026-02-10T09:00', '2026-03-10T09:00', '2026-04-14T09:00']);
  });

  it('fires rate() rules at start and then every period by default, or one period after start as on AWS', async () => {
    const now = start([rule({ scheduleExpression: 'rate(5 minutes)' })], '2026-01-30T12:00:00Z');
    await now.clock.advanceBy(12 * 60_000);
    now.scheduler.stop();

    const aws = start([rule({ scheduleExpression: 'rate(5 minutes)' })], '2026-01-30T12:00:00Z', {
      rateStart: 'period',
    });
    await aws.clock.advanceBy(12 * 60_000);

    expect(now.minutes()).toEqual(['2026-01-30T12:00', '2026-01-30T12:05', '2026-01-30T12:10']);
    expect(aws.minutes()).toEqual(['2026-01-30T12:05', '2026-01-30T12:10']);
  });

  it('scales the periods of rate() rules by timeScale (the README screenshot runs a minute in 10 s), not cron rules', async () => {
    const scaled = start(
      [
        rule({ scheduleExpression: 'rate(1 minute)' }),
        rule({ logicalId: 'Hourly', scheduleExpression: 'cron(0 * * * ? *)' }),
      ],
      '2026-01-30T12:00:00Z',
      { timeScale: 1 / 6 },
    );
    await scaled.clock.advanceBy(30_000);
    const firings = scaled.fired.length;
    const listed = scaled.scheduler.rules().map((r) => r.nextFirings.map((d) => d.toISOString()));

    expect(firings).toBe(4); // at 0, 10, 20 and 30 s
    expect(listed).toEqual([
      ['2026-01-30T12:00:40.000Z', '2026-01-30T12:00:50.000Z', '2026-01-30T12:01:00.000Z'],
      ['2026-01-30T13:00:00.000Z', '2026-01-30T14:00:00.000Z', '2026-01-30T15:00:00.000Z'],
    ]);
  });

  it('gives each firing its due time, and the target Input when there is one', async () => {
    const { clock, fired } = start(
      [
        rule({ scheduleExpression: 'cron(0 12 * * ? *)' }),
        rule({
          displayName: 'Rollup',
          scheduleExpression: 'cron(0 12 * * ? *)',
          targets: [{ id: 'T', functionLogicalId: 'Rollup', input: { granularity: '10m' } }],
        }),
      ],
      '2026-01-30T11:59:30Z',
    );

    await clock.advanceBy(60_000);

    expect(fired).toEqual([
      {
        at: '2026-01-30T12:00',
        fn: 'Fetch',
        event: expect.objectContaining({
          'detail-type': 'Scheduled Event',
          time: '2026-01-30T12:00:00Z',
        }),
      },
      { at: '2026-01-30T12:00', fn: 'Rollup', event: { granularity: '10m' } },
    ]);
  });

  it('lets each invocation finish before the next firing', async () => {
    const clock = createDrivenClock('2026-01-30T12:00:30Z');
    const order: string[] = [];
    scheduler = new Scheduler({
      rules: [rule()],
      region: 'us-east-1',
      account: '000000000000',
      events: new RuntimeEvents(),
      clock,
      rateStart: 'period',
      invoke: async () => {
        const at = new Date(clock()).toISOString().slice(11, 16);
        order.push(`start ${at}`);
        // Real asynchronous work, as a worker thread's would be.
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push(`end ${at}`);
      },
    });
    scheduler.start();

    await clock.advanceBy(3 * 60_000);

    expect(order).toEqual([
      'start 12:01',
      'end 12:01',
      'start 12:02',
      'end 12:02',
      'start 12:03',
      'end 12:03',
    ]);
  });

  it('lists each rule with its next three firings, or why it does not run', () => {
    const { scheduler } = start(
      [
        rule({ displayName: 'Hourly', scheduleExpression: 'cron(5 * * * ? *)' }),
        rule({ displayName: 'Fast', scheduleExpression: 'rate(1 minute)' }),
        rule({ displayName: 'Off', enabled: false }),
        rule({ displayName: 'Broken', scheduleExpression: 'cron(0 12 * * *)' }),
      ],
      '2026-01-30T23:30:00Z',
      { rateStart: 'period' },
    );

    const listed = scheduler.rules().map((r) => ({
      rule: r.rule.displayName,
      next: r.nextFirings.map((d) => d.toISOString().slice(0, 16)),
      notRunBecause: r.notRunBecause,
    }));

    expect(listed).toEqual([
      {
        rule: 'Hourly',
        next: ['2026-01-31T00:05', '2026-01-31T01:05', '2026-01-31T02:05'],
        notRunBecause: undefined,
      },
      {
        rule: 'Fast',
        next: ['2026-01-30T23:31', '2026-01-30T23:32', '2026-01-30T23:33'],
        notRunBecause: undefined,
      },
      { rule: 'Off', next: [], notRunBecause: 'disabled in the template' },
      { rule: 'Broken', next: [], notRunBecause: expect.stringMatching(/takes 6 fields/) },
    ]);
  });

  it('skips disabled rules, excluded targets and malformed expressions (with a warning)', async () => {
    const { clock, fired, notices } = start(
      [
        rule({ enabled: false }),
        rule({ displayName: 'Broken', scheduleExpression: 'cron(0 * * * *)' }),
      ],
      '2026-01-30T12:00:00Z',
    );
    const excluded = start([rule()], '2026-01-30T12:00:00Z', { include: () => false });

    await clock.advanceBy(3_600_000);
    await excluded.clock.advanceBy(3_600_000);

    expect(fired).toEqual([]);
    expect(excluded.fired).toEqual([]);
    expect(notices).toEqual([
      'Broken: "cron(0 * * * *)": cron() takes 6 fields (minutes hours day-of-month month day-of-week year), got 5; rule not run',
    ]);
  });

  it('fires a rule now on request, by any of its names, with what its targets get', async () => {
    const { clock, fired, scheduler } = start(
      [
        rule({
          displayName: 'Rollup10mSchedule',
          scheduleExpression: 'cron(0 0 1 1 ? 2199)',
          targets: [{ id: 'T', functionLogicalId: 'Rollup', input: { granularity: '10m' } }],
        }),
      ],
      '2026-01-30T12:34:56Z',
    );

    const targets = scheduler.fire('Rollup10mSchedule');
    await Promise.all(targets.map((t) => t.result));
    scheduler.fire('arn:aws:events:us-east-1:000000000000:rule/Stack-Rule');
    await clock.settle();

    expect(targets).toMatchObject([{ rule: 'Rollup10mSchedule', functionLogicalId: 'Rollup' }]);
    expect(fired.map((f) => [f.at, f.fn, f.event])).toEqual([
      ['2026-01-30T12:34', 'Rollup', { granularity: '10m' }],
      ['2026-01-30T12:34', 'Rollup', { granularity: '10m' }],
    ]);
    expect(() => scheduler.fire('Nope')).toThrow(
      'no schedule rule "Nope" in this stack; the rules are Rollup10mSchedule',
    );
  });

  it('does not make up firings missed while the runtime could not run, and says so', async () => {
    const driven = createDrivenClock('2026-01-30T12:00:00Z');
    // A clock that jumps 3.5 periods ahead, as after a laptop's sleep.
    let asleepMs = 0;
    const jumpy = Object.assign(() => driven() + asleepMs, {
      ...driven,
      now: () => driven() + asleepMs,
      at: driven.at,
      after: driven.after,
      track: driven.track,
    }) as unknown as DrivenClock;
    const { fired, notices } = start([rule()], '', { clock: jumpy, rateStart: 'period' });

    asleepMs = 210_000;
    await driven.advanceBy(60_000);
    asleepMs = 0;
    await driven.advanceBy(4 * 60_000);

    expect(fired.map((f) => f.at)).toEqual(['2026-01-30T12:04', '2026-01-30T12:05']);
    expect(notices).toEqual(['Rule: 3 firings missed while the runtime could not run']);
  });

  it('stops firing after stop()', async () => {
    const { clock, fired, scheduler } = start([rule()], '2026-01-30T12:00:00Z');
    await clock.advanceBy(60_000);
    const count = fired.length;

    scheduler.stop();
    await clock.advanceBy(10 * 60_000);

    expect(count).toBe(2);
    expect(fired).toHaveLength(2);
  });
});
