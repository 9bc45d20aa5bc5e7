/**
 * npm run invoke and npm run fire as a user runs them: against a running
 * runtime's Lambda Invoke API, and on their own from the cloud assembly when
 * no runtime answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InvokeApi, startInvokeApi } from '../../local/lambda/invoke-api.ts';
import { invokeTargetOf } from '../../local/runtime.ts';
import {
  type FixtureRun,
  startFixtureRuntime,
  uniqueStreamName,
} from '../fixtures/local/harness.ts';
import { type CommandResult, runCommand } from '../support/run-script.ts';

let run: FixtureRun;
let api: InvokeApi;
/** A port where nothing listens: no runtime running. */
let nobody: number;

beforeAll(async () => {
  run = await startFixtureRuntime({
    streamName: uniqueStreamName('invoke-cli'),
    mapping: false,
    probe: true,
    schedule: { expression: 'cron(0 0 1 1 ? 2199)', input: { from: 'the rule' } },
  });
  api = await startInvokeApi({ port: 0 });
  api.attach(invokeTargetOf(run.runtime));
  const closed = await startInvokeApi({ port: 0 });
  nobody = closed.port;
  await closed.close();
});

afterAll(async () => {
  await api?.close();
  await run?.close();
});

function command(
  script: 'invoke' | 'fire',
  args: string[],
  port = api.port,
): Promise<CommandResult> {
  return runCommand('npx', ['tsx', `scripts/${script}.ts`, ...args], {
    env: {
      PRICESTREAM_LAMBDA_PORT: String(port),
      PRICESTREAM_CDK_OUT: run.assemblyDir,
      DATABASE_URL: run.databaseUrl,
    },
  });
}

async function scheduledEvents(): Promise<unknown[]> {
  const { rows } = await run.pool.query('SELECT event FROM fixture.scheduled ORDER BY id');
  return rows.map((r) => r.event);
}

describe('npm run invoke', () => {
  it('invokes through the running runtime and prints the log, then the result', async () => {
    const result = await command('invoke', ['Probe', '--payload', '{"log":["hello from probe"]}']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ invocations: expect.any(Number) });
    expect(result.stderr).toMatch(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/m);
    expect(result.stderr).toContain('hello from probe');
    expect(result.stderr).toContain('Probe succeeded, run by the running npm start');
  });

  it('exits 1 with the error when the function fails', async () => {
    const result = await command('invoke', [
      'Probe',
      '--payload',
      '{"throw":{"name":"Boom","message":"it broke"}}',
    ]);

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      errorType: 'Boom',
      errorMessage: 'it broke',
    });
    expect(result.stderr).toContain('Probe failed (Unhandled)');
  });

  it('runs the function from the cloud assembly on its own when no runtime answers', async () => {
    const result = await command(
      'invoke',
      ['Scheduled', '--payload', '{"from":"standalone"}'],
      nobody,
    );

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('run by cdk.out, on its own (no npm start running)');
    expect(await scheduledEvents()).toContainEqual({ from: 'standalone' });
  });

  it('exits 3 for a function the stack does not have, naming the ones it has', async () => {
    const result = await command('invoke', ['Nope']);

    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /^invoke: no function "Nope" in stack Fixture; its functions are .*Probe/m,
    );
  });

  it.each([
    [
      ['Probe', '--payload', '{bad'],
      /^invoke: --payload must be JSON, got \{bad \(.+\) \(see --help\)$/,
    ],
    [
      ['Probe', '--event', '/no/such/file.json'],
      /^invoke: --event must be a readable JSON file or -, got \/no\/such\/file\.json \(ENOENT\) \(see --help\)$/,
    ],
    [
      ['Probe', '--payload', '{}', '--event', 'x.json'],
      /--event and --payload must not be given together/,
    ],
    [['Probe', '--nope'], /^invoke: Unknown option '--nope'.*\(see --help\)$/],
    [[], /^invoke: FUNCTION must be one name, got none \(see --help\)$/],
  ])('exits 2 in one line for %j', async (args, message) => {
    const result = await command('invoke', args);

    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('npm run fire', () => {
  it('fires a rule now with its target’s Input, through the running runtime', async () => {
    const result = await command('fire', ['EveryMinute']);

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'EveryMinute → Scheduled succeeded, run by the running npm start',
    );
    expect(await scheduledEvents()).toContainEqual({ from: 'the rule' });
  });

  it('exits 3 for a rule the stack does not have, and 2 on a bad option', async () => {
    const unknown = await command('fire', ['Nope']);
    const bad = await command('fire', ['EveryMinute', '--now']);

    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain(
      'fire: no schedule rule "Nope" in this stack; the rules are EveryMinute',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^fire: Unknown option '--now'.*\(see --help\)$/);
  });
});
