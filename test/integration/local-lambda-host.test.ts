import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NODE_MAJOR } from '../../cdk/node-version.ts';
import type { FaultPlan } from '../../local/lambda/faults.ts';
import { FunctionError, type HostedFunction, LambdaHost } from '../../local/lambda/lambda-host.ts';
import { type FunctionLogLine, RuntimeEvents } from '../../local/shared/runtime-events.ts';
import { HANDLERS_DIR } from '../fixtures/local/assembly.ts';

function probe(name: string, overrides: Partial<HostedFunction> = {}): HostedFunction {
  return {
    name,
    functionName: `Fixture-${name}`,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:Fixture-${name}`,
    entryFile: path.join(HANDLERS_DIR, 'probe.mjs'),
    handlerPath: 'handler',
    environment: {},
    timeoutSeconds: 5,
    memoryMb: 256,
    region: 'us-east-1',
    ...overrides,
  };
}

interface ProbeResult {
  invocations: number;
  nodeVersion: string;
  env: Record<string, string | null>;
  context: Record<string, unknown>;
}

let host: LambdaHost | undefined;
afterEach(async () => {
  await host?.stop();
  host = undefined;
});

async function waitUntil(done: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function startHost(faults?: FaultPlan) {
  const events = new RuntimeEvents();
  host = new LambdaHost(events, () => faults);
  return { host, events };
}

describe('Lambda host', () => {
  it("runs a function on the Node.js major of its Lambda runtime (the project's pinned Node.js)", async () => {
    const { host } = startHost();
    host.register(probe('Version'));

    const result = (await host.invoke('Version', {})) as ProbeResult;

    expect(result.nodeVersion).toMatch(new RegExp(`^v${NODE_MAJOR}\\.`));
  });

  it('gives each function its own environment variables and Lambda context', async () => {
    const { host } = startHost();
    host.register(probe('One', { environment: { COLOUR: 'red' } }));
    host.register(probe('Two', { environment: { COLOUR: 'blue' }, memoryMb: 512 }));
    const keys = [
      'COLOUR',
      'AWS_LAMBDA_FUNCTION_NAME',
      'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
      'AWS_REGION',
    ];

    const one = (await host.invoke('One', { envKeys: keys, setEnv: 'COLOUR' })) as ProbeResult;
    const two = (await host.invoke('Two', { envKeys: keys })) as ProbeResult;
    const oneAgain = (await host.invoke('One', { envKeys: keys })) as ProbeResult;

    expect(one.env).toEqual({
      COLOUR: 'red',
      AWS_LAMBDA_FUNCTION_NAME: 'Fixture-One',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_REGION: 'us-east-1',
    });
    expect(two.env.COLOUR).toBe('blue');
    expect(two.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE).toBe('512');
    // Same environment for One's second call: its own change to process.env stayed, module state too.
    expect(oneAgain.env.COLOUR).toBe('changed');
    expect(oneAgain.invocations).toBe(2);
    expect(process.env.COLOUR).toBeUndefined();
    expect(two.context).toMatchObject({
      functionName: 'Fixture-Two',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:Fixture-Two',
      memoryLimitInMB: '512',
      logGroupName: '/aws/lambda/Fixture-Two',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(two.context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(two.context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(two.context.remainingTimeInMillis).toBeGreaterThan(4000);
    expect(two.context.remainingTimeInMillis).toBeLessThanOrEqual(5000);
  });

  it('runs concurrent invocations in separate environments', async () => {
    const { host } = startHost();
    host.register(probe('Busy'));

    const results = (await Promise.all([
      host.invoke('Busy', { sleepMs: 300 }),
      host.invoke('Busy', { sleepMs: 300 }),
    ])) as ProbeResult[];

    expect(results.map((r) => r.invocations)).toEqual([1, 1]);
    expect(host.environmentCount('Busy')).toBe(2);
  });

  it('ends a timed-out invocation with its environment; the next call gets a fresh one', async () => {
    const { host, events } = startHost();
    host.register(probe('Slow', { timeoutSeconds: 1 }));
    const reports: Array<{ coldStart: boolean; error: unknown }> = [];
    events.on('invocation', (r) => reports.push({ coldStart: r.coldStart, error: r.error }));
    await host.invoke('Slow', {});

    const started = Date.now();
    const timedOut = host.invoke('Slow', { sleepMs: 30_000 });
    await expect(timedOut).rejects.toThrow(/Task timed out after 1\.00 seconds/);
    await expect(timedOut).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
    const elapsed = Date.now() - started;
    const next = (await host.invoke('Slow', {})) as ProbeResult;

    expect(elapsed).toBeLessThan(5000);
    expect(next.invocations).toBe(1);
    expect(reports.map((r) => r.coldStart)).toEqual([true, false, true]);
  });

  it('returns handler errors by name and message, and keeps the environment', async () => {
    const { host } = startHost();
    host.register(probe('Failing'));

    const failure = host.invoke('Failing', {
      throw: { name: 'PriceSourceError', message: 'Coinbase said 429' },
    });

    await expect(failure).rejects.toBeInstanceOf(FunctionError);
    await expect(failure).rejects.toMatchObject({
      name: 'PriceSourceError',
      message: 'Coinbase said 429',
      functionName: 'Fixture-Failing',
    });
    const after = (await host.invoke('Failing', {})) as ProbeResult;
    expect(after.invocations).toBe(2);
  });

  it('reports a crashed environment and replaces it', async () => {
    const { host } = startHost();
    host.register(probe('Crashing'));

    await expect(host.invoke('Crashing', { exit: 3 })).rejects.toMatchObject({
      name: 'Runtime.ExitError',
    });
    const after = (await host.invoke('Crashing', {})) as ProbeResult;

    expect(after.invocations).toBe(1);
  });

  it('does not hand a batch to an idle environment whose Worker has exited', async () => {
    const { host } = startHost();
    host.register(probe('Dying', { timeoutSeconds: 3 }));
    await host.invoke('Dying', { exitAfterMs: 10 });
    await waitUntil(() => host.environmentCount('Dying') === 0, 'the idle environment to go');

    const started = Date.now();
    const next = (await host.invoke('Dying', {})) as ProbeResult;

    expect(next.invocations).toBe(1); // a fresh environment
    expect(Date.now() - started).toBeLessThan(2_000); // not the 3 s timeout
  });

  it('injects the planned faults: a crashed environment, a timeout; other functions untouched', async () => {
    const { host, events } = startHost({
      Crashy: { crash: 1 },
      Late: { timeout: 1 },
    });
    const injected: string[] = [];
    events.on('notice', (n) => injected.push(`${n.source}: ${n.message.split(' (')[0]}`));
    host.register(probe('Crashy'));
    host.register(probe('Late', { timeoutSeconds: 30 }));
    host.register(probe('Calm'));

    const started = Date.now();
    await expect(host.invoke('Crashy', {})).rejects.toMatchObject({ name: 'Runtime.ExitError' });
    await expect(host.invoke('Late', {})).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
    const calm = (await host.invoke('Calm', {})) as ProbeResult;

    expect(Date.now() - started).toBeLessThan(10_000); // not Late's 30 s
    expect(calm.invocations).toBe(1);
    expect(host.environmentCount('Crashy')).toBe(0);
    expect(host.environmentCount('Late')).toBe(0);
    expect(injected).toEqual(['Crashy: injected fault: crash', 'Late: injected fault: timeout']);
  });

  it('fails invocations of a function whose module does not load', async () => {
    const { host } = startHost();
    host.register(probe('Broken', { entryFile: path.join(HANDLERS_DIR, 'broken.mjs') }));

    await expect(host.invoke('Broken', {})).rejects.toThrow(
      'Missing environment variable STREAM_NAME',
    );
    expect(host.environmentCount('Broken')).toBe(0);
  });

  it('supports callback-style handlers', async () => {
    const { host } = startHost();
    host.register(probe('Callback', { handlerPath: 'callbackHandler' }));

    const result = await host.invoke('Callback', { n: 1 });

    expect(result).toEqual({ viaCallback: true, echo: { n: 1 } });
  });

  it('hands every stdout and stderr line to the log listeners, with the function and request', async () => {
    const { host, events } = startHost();
    host.register(probe('Chatty'));
    const lines: FunctionLogLine[] = [];
    events.on('log', (line) => lines.push(line));

    const result = (await host.invoke('Chatty', {
      log: ['first line', '{"level":"INFO","message":"second"}'],
      stderr: 'on stderr',
    })) as ProbeResult;
    const deadline = Date.now() + 5000;
    while (lines.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    // Each stream keeps its order; the two streams interleave as they arrive.
    const of = (stream: string) =>
      lines.filter((l) => l.stream === stream).map((l) => [l.function, l.line]);
    expect(of('stdout')).toEqual([
      ['Chatty', 'first line'],
      ['Chatty', '{"level":"INFO","message":"second"}'],
    ]);
    expect(of('stderr')).toEqual([['Chatty', 'on stderr']]);
    expect(lines.every((l) => l.requestId === result.context.awsRequestId)).toBe(true);
  });

  it('gives invokeWithLog the invocation’s own lines only, even back to back on one environment', async () => {
    const { host } = startHost();
    host.register(probe('Tail'));

    const records = [];
    for (const n of [1, 2, 3]) {
      records.push(
        await host.invokeWithLog('Tail', {
          log: [`a${n}`, `b${n}`],
          stderr: `e${n}`,
          unterminated: `u${n}`,
        }),
      );
    }

    expect(host.environmentCount('Tail')).toBe(1);
    for (const [i, record] of records.entries()) {
      const n = i + 1;
      const body = record.log.slice(1, -2);
      expect(record.log[0]).toBe(`START RequestId: ${record.requestId} Version: $LATEST`);
      expect([...body].sort()).toEqual([`a${n}`, `b${n}`, `e${n}`, `u${n}`]);
      expect(record.log.at(-2)).toBe(`END RequestId: ${record.requestId}`);
      expect(record.log.at(-1)).toMatch(new RegExp(`^REPORT RequestId: ${record.requestId}\t`));
      expect(record.result).toMatchObject({ invocations: n });
    }
  });

  it('reports a failed invocation in the record, with its error line in the log', async () => {
    const { host } = startHost();
    host.register(probe('Failing'));

    const record = await host.invokeWithLog('Failing', {
      log: ['before the throw'],
      throw: { name: 'TypeError', message: 'nope' },
    });

    expect(record.result).toBeUndefined();
    expect(record.error).toBeInstanceOf(FunctionError);
    expect(record.error?.errorType).toBe('TypeError');
    expect(record.log).toContain('before the throw');
    expect(record.log.find((l) => l.includes('Invoke Error'))).toMatch(
      /\tERROR\tInvoke Error \t\{"errorType":"TypeError","errorMessage":"nope"/,
    );
  });
});
