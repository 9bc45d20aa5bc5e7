import { afterEach, describe, expect, it } from 'vitest';
import type { StackModel } from '../../local/assembly/stack-model.ts';
import { type ActionsRuntime, scheduleActions } from '../../local/dashboard/actions.ts';
import type { MetricsCollector } from '../../local/dashboard/collector.ts';
import { type DashboardServer, startDashboardServer } from '../../local/dashboard/server.ts';
import type { FiredTarget, ScheduledRule } from '../../local/eventbridge/scheduler.ts';
import { rawRequest } from '../support/raw-http.ts';

const RULES = [
  {
    logicalId: 'FetchSchedule1A2B3C4D',
    displayName: 'FetchSchedule',
    name: 'Pricestream-FetchSchedule1A2B3C4D',
    arn: 'arn:aws:events:us-east-1:000000000000:rule/Pricestream-FetchSchedule1A2B3C4D',
    scheduleExpression: 'rate(1 minute)',
    enabled: true,
    targets: [{ id: 'Target0', functionLogicalId: 'FetchPricesAAAA', input: undefined }],
    otherTargets: [],
  },
  {
    logicalId: 'Rollup10mSchedule1A2B3C4D',
    displayName: 'Rollup10mSchedule',
    name: 'Pricestream-Rollup10mSchedule1A2B3C4D',
    arn: 'arn:aws:events:us-east-1:000000000000:rule/Pricestream-Rollup10mSchedule1A2B3C4D',
    scheduleExpression: 'cron(5 * * * ? *)',
    enabled: true,
    targets: [{ id: 'Target0', functionLogicalId: 'RollupBBBB', input: { granularity: '10m' } }],
    otherTargets: [],
  },
];

/** A runtime whose fire() records what it fired and lets the test settle each run. */
function fakeRuntime() {
  const fired: string[] = [];
  const settle: Array<(error?: Error) => void> = [];
  const runtime: ActionsRuntime = {
    model: {
      functions: [
        { logicalId: 'FetchPricesAAAA', displayName: 'FetchPrices' },
        { logicalId: 'RollupBBBB', displayName: 'Rollup' },
      ],
    } as unknown as StackModel,
    schedules: () =>
      RULES.map(
        (rule): ScheduledRule => ({
          rule,
          nextFirings: [new Date('2026-01-30T12:05:00Z')],
          notRunBecause: undefined,
        }),
      ),
    fire: (name): FiredTarget[] => {
      const rule = RULES.find((r) => r.displayName === name);
      if (!rule) throw new Error(`no rule ${name}`);
      fired.push(name);
      return rule.targets.map((t) => ({
        rule: name,
        functionLogicalId: t.functionLogicalId,
        event: t.input,
        result: new Promise((resolve, reject) =>
          settle.push((error) => (error ? reject(error) : resolve(null))),
        ),
      }));
    },
  };
  return { runtime, fired, settle };
}

let server: DashboardServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start() {
  const fake = fakeRuntime();
  server = await startDashboardServer({
    port: 0,
    db: { query: async () => ({ rows: [] }) } as never,
    namespace: 'Test',
    collector: { stats: () => ({}) } as unknown as Pick<MetricsCollector, 'stats'>,
    actions: scheduleActions(fake.runtime, () => Date.parse('2026-01-30T12:00:00Z')),
  });
  return { ...fake, server };
}

async function listed(base: DashboardServer): Promise<{ actions: Array<{ last: unknown }> }> {
  return (await (await fetch(`${base.url}/api/actions`)).json()) as {
    actions: Array<{ last: unknown }>;
  };
}

async function post(
  base: DashboardServer,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: { error?: string; message?: string } }> {
  const answer = await rawRequest(base.port, { path, method: 'POST', headers, body: '{}' });
  return { status: answer.status, body: JSON.parse(answer.text) };
}

describe('the dashboard’s run-now buttons', () => {
  it('lists each schedule with its expression, targets and next firings', async () => {
    const { server } = await start();

    const answer = await listed(server);

    expect(answer.actions).toEqual([
      {
        id: 'FetchSchedule',
        expression: 'rate(1 minute)',
        targets: ['FetchPrices'],
        next: ['2026-01-30T12:05:00.000Z'],
        notRunBecause: null,
        last: null,
      },
      expect.objectContaining({ id: 'Rollup10mSchedule', targets: ['Rollup'] }),
    ]);
  });

  it('fires a schedule for a request the page made, and shows how the run went', async () => {
    const { server, fired, settle } = await start();
    const own = {
      Host: `127.0.0.1:${server.port}`,
      Origin: `http://127.0.0.1:${server.port}`,
      'Sec-Fetch-Site': 'same-origin',
      'Content-Type': 'application/json',
    };

    const first = await post(server, '/api/actions/Rollup10mSchedule', own);
    const running = (await listed(server)).actions[1]?.last;
    settle[0]?.(new Error('database away'));
    await new Promise((resolve) => setImmediate(resolve));
    const failed = (await listed(server)).actions[1]?.last;

    expect(first).toEqual({
      status: 202,
      body: {
        rule: 'Rollup10mSchedule',
        targets: ['Rollup'],
        startedAt: '2026-01-30T12:00:00.000Z',
      },
    });
    expect(fired).toEqual(['Rollup10mSchedule']);
    expect(running).toMatchObject({ state: 'running' });
    expect(failed).toMatchObject({ state: 'failed', message: 'Error: database away' });
    expect((await post(server, '/api/actions/Nope', own)).status).toBe(404);
  });

  it('refuses a request another page made, or one that is not JSON', async () => {
    const { server, fired } = await start();
    const host = `127.0.0.1:${server.port}`;
    const json = { 'Content-Type': 'application/json' };

    const refusals = await Promise.all([
      post(server, '/api/actions/FetchSchedule', { Host: host, ...json }),
      post(server, '/api/actions/FetchSchedule', {
        Host: host,
        Origin: 'http://attacker.example',
        ...json,
      }),
      post(server, '/api/actions/FetchSchedule', {
        Host: host,
        Origin: `http://${host}`,
        'Sec-Fetch-Site': 'cross-site',
        ...json,
      }),
      post(server, '/api/actions/FetchSchedule', {
        Host: host,
        Origin: `http://${host}`,
        'Content-Type': 'text/plain',
      }),
      post(server, '/api/actions/FetchSchedule', {
        Host: `attacker.example:${server.port}`,
        Origin: `http://attacker.example:${server.port}`,
        ...json,
      }),
    ]);

    expect(refusals.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
    expect(refusals[0]?.body.message).toMatch(
      /only this dashboard's own page may do that \(Origin missing/,
    );
    expect(fired).toEqual([]);
  });

  it('serves the buttons’ script and style, and answers other methods on an action with 405', async () => {
    const { server } = await start();

    const script = await fetch(`${server.url}/actions.js`);
    const page = await (await fetch(`${server.url}/`)).text();
    const put = await fetch(`${server.url}/api/actions/FetchSchedule`, { method: 'PUT' });

    expect(script.status).toBe(200);
    expect(await script.text()).toContain("fetch('/api/actions')");
    expect(page).toContain('/actions.js');
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST');
  });
});
