/**
 * The Lambda Invoke API of a running runtime, driven with the SDK's own
 * LambdaClient (and raw HTTP for what the SDK will not send).
 */
import {
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  ListFunctionsCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InvokeApi, PortInUseError, startInvokeApi } from '../../local/lambda/invoke-api.ts';
import { invokeTargetOf } from '../../local/runtime.ts';
import {
  type FixtureRun,
  startFixtureRuntime,
  uniqueStreamName,
  waitFor,
} from '../fixtures/local/harness.ts';
import { rawRequest } from '../support/raw-http.ts';

const PROBE = 'Fixture-Probe3C4D5E6F';
const PROBE_ARN = `arn:aws:lambda:us-east-1:000000000000:function:${PROBE}`;

let run: FixtureRun;
let api: InvokeApi;
let lambda: LambdaClient;

beforeAll(async () => {
  run = await startFixtureRuntime({
    streamName: uniqueStreamName('invoke-api'),
    mapping: false,
    probe: true,
  });
  api = await startInvokeApi({ port: 0 });
  api.attach(invokeTargetOf(run.runtime));
  lambda = new LambdaClient({
    endpoint: api.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  lambda?.destroy();
  await api?.close();
  await run?.close();
});

function invoke(
  input: Omit<ConstructorParameters<typeof InvokeCommand>[0], 'Payload'> & { payload?: unknown },
) {
  const { payload, ...rest } = input;
  return lambda.send(
    new InvokeCommand({
      ...rest,
      ...(payload === undefined ? {} : { Payload: Buffer.from(JSON.stringify(payload)) }),
    }),
  );
}

const json = (output: InvokeCommandOutput) =>
  JSON.parse(Buffer.from(output.Payload ?? []).toString('utf8'));
const tail = (output: InvokeCommandOutput) =>
  Buffer.from(output.LogResult ?? '', 'base64').toString('utf8');

/** What the SDK throws, with the fields a Lambda error carries. */
async function refusal(
  send: Promise<unknown>,
): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await send;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('Invoke, RequestResponse', () => {
  it('runs the function by name, ARN or partial ARN, $LATEST, and returns its result', async () => {
    for (const FunctionName of [PROBE, PROBE_ARN, `000000000000:function:${PROBE}`, 'Probe']) {
      const output = await invoke({
        FunctionName,
        payload: { envKeys: ['AWS_LAMBDA_FUNCTION_NAME'] },
      });

      expect(output.StatusCode, FunctionName).toBe(200);
      expect(output.FunctionError).toBeUndefined();
      expect(output.ExecutedVersion).toBe('$LATEST');
      expect(json(output).env).toEqual({ AWS_LAMBDA_FUNCTION_NAME: PROBE });
    }
    const qualified = await invoke({ FunctionName: PROBE, Qualifier: '$LATEST', payload: {} });
    expect(json(qualified).context.invokedFunctionArn).toBe(PROBE_ARN);
  });

  it('returns the log tail with LogType Tail: START, what the function wrote, END and REPORT', async () => {
    const output = await invoke({
      FunctionName: PROBE,
      LogType: 'Tail',
      payload: {
        log: ['first line', 'second line'],
        stderr: 'on stderr',
        unterminated: 'no newline',
      },
    });
    const requestId = json(output).context.awsRequestId;
    const lines = tail(output).trimEnd().split('\n');

    expect(output.$metadata.requestId).toBe(requestId);
    expect(lines[0]).toBe(`START RequestId: ${requestId} Version: $LATEST`);
    expect(lines).toEqual(
      expect.arrayContaining(['first line', 'second line', 'on stderr', 'no newline']),
    );
    expect(lines.indexOf('second line')).toBeGreaterThan(lines.indexOf('first line'));
    expect(lines.at(-2)).toBe(`END RequestId: ${requestId}`);
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^REPORT RequestId: ${requestId}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB`,
      ),
    );
    expect(output.LogResult).toBeDefined();
    expect((await invoke({ FunctionName: PROBE, payload: {} })).LogResult).toBeUndefined();
  });

  it('keeps only the last 4 KB of a long log', async () => {
    const output = await invoke({
      FunctionName: PROBE,
      LogType: 'Tail',
      payload: { log: Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(40)}`) },
    });
    const text = tail(output);

    expect(Buffer.byteLength(text)).toBe(4096);
    expect(text).toContain('line 199');
    expect(text).not.toContain('line 0 ');
    expect(text).toMatch(/REPORT RequestId: /);
  });

  it('answers a function error with X-Amz-Function-Error and Lambda’s error payload', async () => {
    const output = await invoke({
      FunctionName: PROBE,
      LogType: 'Tail',
      payload: { throw: { name: 'ValidationError', message: 'price must be positive' } },
    });

    expect(output.StatusCode).toBe(200);
    expect(output.FunctionError).toBe('Unhandled');
    expect(json(output)).toEqual({
      errorType: 'ValidationError',
      errorMessage: 'price must be positive',
      trace: expect.arrayContaining([
        expect.stringContaining('ValidationError: price must be positive'),
      ]),
    });
    expect(tail(output)).toMatch(/\tERROR\tInvoke Error \t\{"errorType":"ValidationError"/);
  });

  it('answers DryRun with 204 without running the function', async () => {
    const before = (await invoke({ FunctionName: PROBE, payload: {} })) as InvokeCommandOutput;
    const dry = await invoke({ FunctionName: PROBE, InvocationType: 'DryRun' });
    const after = await invoke({ FunctionName: PROBE, payload: {} });

    expect(dry.StatusCode).toBe(204);
    expect(json(after).invocations).toBe(json(before).invocations + 1);
  });
});

describe('Invoke, Event', () => {
  it('answers 202 at once and runs the function in the background', async () => {
    const output = await invoke({
      FunctionName: 'Fixture-Scheduled2B3C4D5E',
      InvocationType: 'Event',
      payload: { from: 'the invoke api' },
    });

    expect(output.StatusCode).toBe(202);
    expect(output.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(
      async () =>
        (
          await run.pool.query(
            "SELECT 1 FROM fixture.scheduled WHERE event->>'from' = 'the invoke api'",
          )
        ).rowCount === 1,
      15_000,
      'the asynchronous invocation',
    );
  });
});

describe('errors in Lambda’s shapes', () => {
  it('ResourceNotFoundException for a function the stack does not have, or another version', async () => {
    expect(await refusal(invoke({ FunctionName: 'Nope', payload: {} }))).toEqual({
      name: 'ResourceNotFoundException',
      message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:Nope',
      status: 404,
    });
    expect(
      await refusal(invoke({ FunctionName: PROBE, Qualifier: '3', payload: {} })),
    ).toMatchObject({
      name: 'ResourceNotFoundException',
      message: `Function not found: ${PROBE_ARN}:3`,
    });
    expect(
      await refusal(
        invoke({ FunctionName: `arn:aws:lambda:eu-west-1:000000000000:function:${PROBE}` }),
      ),
    ).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
  });

  it('ResourceConflictException for a function of the stack that does not run locally', async () => {
    expect(
      await refusal(invoke({ FunctionName: 'Fixture-MigrationsProviderframeworkonEvent33437111' })),
    ).toMatchObject({
      name: 'ResourceConflictException',
      status: 409,
      message: expect.stringMatching(/is in the stack but does not run locally/),
    });
  });

  it('InvalidRequestContentException for a payload that is not JSON', async () => {
    expect(
      await refusal(
        lambda.send(new InvokeCommand({ FunctionName: PROBE, Payload: Buffer.from('{nope') })),
      ),
    ).toMatchObject({
      name: 'InvalidRequestContentException',
      status: 400,
      message: expect.stringMatching(/^Could not parse request body into json/),
    });
  });

  it('UnknownOperationException for any other operation or route', async () => {
    expect(await refusal(lambda.send(new ListFunctionsCommand({})))).toMatchObject({
      name: 'UnknownOperationException',
      status: 404,
    });
    const root = await raw({ path: '/', method: 'GET' });
    expect(root.status).toBe(404);
    expect(root.headers['x-amzn-errortype']).toBe('UnknownOperationException');
    expect(JSON.parse(root.text)).toEqual({
      Type: 'User',
      Message: expect.stringContaining('serves Invoke only'),
    });
  });

  it('refuses another Host and any request carrying a web page’s Origin', async () => {
    const path = `/2015-03-31/functions/${PROBE}/invocations`;
    const rebound = await raw({ path, host: `evil.example:${api.port}` });
    const fromPage = await raw({ path, origin: 'http://evil.example' });

    expect([rebound.status, fromPage.status]).toEqual([403, 403]);
    expect(fromPage.headers['x-amzn-errortype']).toBe('AccessDeniedException');
  });
});

describe('the API’s own life', () => {
  it('answers ServiceException until a runtime is attached', async () => {
    const early = await startInvokeApi({ port: 0 });
    const client = new LambdaClient({
      endpoint: early.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    try {
      expect(await refusal(client.send(new InvokeCommand({ FunctionName: PROBE })))).toMatchObject({
        name: 'ServiceException',
        status: 503,
        message: 'the local runtime is still starting',
      });
    } finally {
      client.destroy();
      await early.close();
    }
  });

  it('says clearly that its port is in use', async () => {
    await expect(startInvokeApi({ port: api.port })).rejects.toThrow(PortInUseError);
    await expect(startInvokeApi({ port: api.port })).rejects.toThrow(
      `the Lambda Invoke API cannot listen on 127.0.0.1:${api.port}: the port is in use (another npm start?); set PRICESTREAM_LAMBDA_PORT to a free port`,
    );
  });
});

function raw(options: { path: string; method?: string; host?: string; origin?: string }) {
  return rawRequest(api.port, {
    path: options.path,
    method: options.method ?? 'POST',
    headers: {
      ...(options.host ? { Host: options.host } : {}),
      ...(options.origin ? { Origin: options.origin } : {}),
    },
  });
}
