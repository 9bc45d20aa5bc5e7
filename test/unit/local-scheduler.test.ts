import { afterEach, describe, expect, it } from 'vitest';
import type { ScheduleRuleModel } from '../../local/assembly/stack-model.ts';
import {
  parseScheduleExpression,
  Scheduler,
  scheduledEvent,
} from '../../local/eventbridge/scheduler.ts';
import { RuntimeEvents } from '../../local/shared/runtime-events.ts';

describe('parseScheduleExpression', () => {
  it('reads rate expressions in every unit', () => {
    expect(parseScheduleExpression('rate(1 minute)')).toEqual({ kind: 'rate', periodMs: 60_000 });
    expect(parseScheduleExpression('rate(5 minutes)')).toEqual({ kind: 'rate', periodMs: 300_000 });
    expect(parseScheduleExpression('rate(2 hours)')).toEqual({ kind: 'rate', periodMs: 7_200_000 });
    expect(parseScheduleExpression('rate(1 day)')).toEqual({ kind: 'rate', periodMs: 86_400_000 });
  });

  it('recognises cron and rejects the rest', () => {
    expect(parseScheduleExpression('cron(0 12 * * ? *)')).toEqual({
      kind: 'cron',
      expression: '0 12 * * ? *',
    });
    expect(parseScheduleExpression('rate(0 minutes)').kind).toBe('invalid');
    expect(parseScheduleExpression('every minute').kind).toBe('invalid');
  });
});

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

describe('Scheduler', () => {
  let scheduler: Scheduler | undefined;
  afterEach(() => scheduler?.stop());

  const rule = (overrides: Partial<ScheduleRuleModel> = {}): ScheduleRuleModel => ({
    logicalId: 'Rule',
    name: 'Stack-Rule',
    arn: 'arn:aws:events:us-east-1:000000000000:rule/Stack-Rule',
    scheduleExpression: 'rate(1 minute)',
    enabled: true,
    targets: [{ id: 'Target0', functionLogicalId: 'Fetch', input: undefined }],
    otherTargets: [],
    ...overrides,
  });

  function start(rules: ScheduleRuleModel[], include?: () => boolean) {
    const fired: Array<{ at: number; fn: string; event: unknown }> = [];
    const events = new RuntimeEvents();
    const notices: string[] = [];
    events.on('notice', (n) => notices.push(n.message));
    scheduler = new Scheduler({
      rules,
      region: 'us-east-1',
      account: '000000000000',
      events,
      timeScale: 0.002, // one minute → 120 ms
      invoke: async (fn, event) => {
        fired.push({ at: Date.now(), fn, event });
      },
      ...(include ? { include } : {}),
    });
    const startedAt = Date.now();
    scheduler.start();
    return { fired, notices, startedAt };
  }

  async function until(condition: () => boolean, timeoutMs = 3_000) {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('fires at start, then every (scaled) period', async () => {
    const { fired, startedAt } = start([rule()]);

    await until(() => fired.length >= 3);

    expect((fired[0]?.at ?? Infinity) - startedAt).toBeLessThan(50);
    expect(fired.every((f) => f.fn === 'Fetch')).toBe(true);
    const gap = (fired[2]?.at ?? 0) - (fired[1]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(100);
    expect(gap).toBeLessThan(400);
  });

  it('sends the target Input when there is one', async () => {
    const { fired } = start([
      rule({ targets: [{ id: 'T', functionLogicalId: 'Rollup', input: { window: '10m' } }] }),
    ]);

    await until(() => fired.length >= 1);

    expect(fired[0]).toMatchObject({ fn: 'Rollup', event: { window: '10m' } });
  });

  it('skips disabled rules, excluded targets and cron schedules (with a warning)', async () => {
    const { fired, notices } = start([
      rule({ enabled: false }),
      rule({ scheduleExpression: 'cron(0 * * * ? *)', name: 'Hourly' }),
    ]);
    const excluded = new Scheduler({
      rules: [rule()],
      region: 'us-east-1',
      account: '000000000000',
      events: new RuntimeEvents(),
      include: () => false,
      invoke: async (fn) => {
        fired.push({ at: Date.now(), fn, event: undefined });
      },
    });
    excluded.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    excluded.stop();

    expect(fired).toEqual([]);
    expect(notices).toEqual([
      'cron(0 * * * ? *) schedules are not supported locally; rule not run',
    ]);
  });

  it('stops firing after stop()', async () => {
    const { fired } = start([rule()]);
    await until(() => fired.length >= 1);

    scheduler?.stop();
    const count = fired.length;
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(fired.length).toBe(count);
  });
});
