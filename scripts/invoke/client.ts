/**
 * What `npm run invoke` and `npm run fire` share: the stack read from cdk.out,
 * an invocation through the running runtime's Lambda Invoke API (a thin
 * LambdaClient), or, with no runtime answering there, the function run from
 * cdk.out on its own, and the outcome printed as the AWS CLI would show it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { InvokeCommand, LambdaClient, LambdaServiceException } from '@aws-sdk/client-lambda';
import { buildStackModel, type StackModel } from '../../local/assembly/stack-model.ts';
import { readStackArtifact } from '../../local/assembly/template.ts';
import { matchFunction } from '../../local/lambda/function-names.ts';
import { lambdaApiPortFromEnv } from '../../local/lambda/invoke-api.ts';
import { LambdaHost } from '../../local/lambda/lambda-host.ts';
import { describeFunction, type LocalFunction, resolveSettings } from '../../local/runtime.ts';
import { localDatabaseUrl } from '../../local/services/postgres.ts';
import { RuntimeEvents } from '../../local/shared/runtime-events.ts';

export const EXIT = { ok: 0, functionFailed: 1, badArguments: 2, cannotInvoke: 3 } as const;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure to invoke at all (no such function, no assembly, the API refused): exit 3. */
export class InvokeError extends Error {
  override name = 'InvokeError';
}

export interface Outcome {
  /** Through the running runtime, or run on its own from cdk.out. */
  via: 'api' | 'standalone';
  requestId: string | undefined;
  /** 200, or 202 for an asynchronous invocation. */
  statusCode: number;
  /** `Unhandled` when the function failed. */
  functionError: string | undefined;
  /** The result (or error) as JSON text; empty for an asynchronous invocation. */
  payload: string;
  /** The invocation's log (its last 4 KB through the API). */
  log: string | undefined;
}

export interface Stack {
  model: StackModel;
  functions: LocalFunction[];
  databaseUrl: string;
  kinesisEndpoint: string;
}

/**
 * The synthesized stack (cdk.out, or PRICESTREAM_CDK_OUT), with each
 * function's environment as npm start gives it; undefined when there is no
 * assembly.
 */
export async function readStack(
  env: Record<string, string | undefined> = process.env,
): Promise<Stack | undefined> {
  const settings = resolveSettings({ env });
  if (!existsSync(path.join(settings.cdkOut, 'manifest.json'))) return undefined;
  const artifact = await readStackArtifact(settings.cdkOut);
  const model = buildStackModel(artifact, { region: settings.region, account: settings.account });
  const services = {
    databaseUrl: settings.databaseUrl ?? localDatabaseUrl(settings.postgresPort, settings.database),
    kinesisEndpoint: settings.kinesisEndpoint ?? `http://127.0.0.1:${settings.kinesisPort}`,
  };
  return {
    model,
    functions: model.functions.map((fn) => describeFunction(fn, services, settings)),
    ...services,
  };
}

/** The function `ref` names in the stack; an unknown one is refused with the names there are. */
export function findFunction(stack: Stack, ref: string): LocalFunction {
  const fn = matchFunction(stack.functions, ref, stack.model);
  if (!fn) {
    const hosted = stack.functions.filter((f) => f.hosted).map((f) => f.name);
    throw new InvokeError(
      `no function ${JSON.stringify(ref)} in stack ${stack.model.stackName}; its functions are ${hosted.join(', ')}`,
    );
  }
  if (!fn.hosted) {
    throw new InvokeError(`${fn.name} does not run locally: ${fn.notHostedBecause ?? 'no code'}`);
  }
  return fn;
}

/**
 * Invokes through the running runtime's Lambda Invoke API; undefined when
 * nothing listens on its port (no npm start running).
 */
export async function invokeThroughApi(
  functionName: string,
  event: unknown,
  options: { async: boolean; port?: number; region?: string },
): Promise<Outcome | undefined> {
  const port = options.port ?? lambdaApiPortFromEnv();
  const client = new LambdaClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    const response = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        Payload: Buffer.from(JSON.stringify(event)),
        InvocationType: options.async ? 'Event' : 'RequestResponse',
        ...(options.async ? {} : { LogType: 'Tail' }),
      }),
    );
    return {
      via: 'api',
      requestId: response.$metadata.requestId,
      statusCode: response.StatusCode ?? 200,
      functionError: response.FunctionError,
      payload: response.Payload ? Buffer.from(response.Payload).toString('utf8') : '',
      log: response.LogResult
        ? Buffer.from(response.LogResult, 'base64').toString('utf8')
        : undefined,
    };
  } catch (error) {
    if (refusedConnection(error)) return undefined;
    if (error instanceof LambdaServiceException) {
      throw new InvokeError(
        `the runtime's Lambda API on 127.0.0.1:${port} answered ${error.name}: ${error.message}`,
      );
    }
    throw error;
  } finally {
    client.destroy();
  }
}

/** Runs the function from cdk.out in an execution environment of its own, then ends it. */
export async function invokeStandalone(
  fn: LocalFunction,
  stack: Stack,
  event: unknown,
): Promise<Outcome> {
  const model = stack.model.functions.find((f) => f.logicalId === fn.logicalId);
  if (!model?.code) throw new InvokeError(`${fn.name} does not run locally`);
  const host = new LambdaHost(new RuntimeEvents());
  host.register({
    name: fn.name,
    functionName: fn.functionName,
    arn: fn.arn,
    entryFile: model.code.entryFile,
    handlerPath: model.code.handlerPath,
    environment: { ...fn.environment },
    timeoutSeconds: model.timeoutSeconds,
    memoryMb: model.memoryMb,
    logGroupName: model.logGroupName,
    region: stack.model.region,
    runtime: model.runtime,
  });
  try {
    const record = await host.invokeWithLog(fn.name, event);
    return {
      via: 'standalone',
      requestId: record.requestId,
      statusCode: 200,
      functionError: record.error ? 'Unhandled' : undefined,
      payload: JSON.stringify(
        record.error
          ? { errorType: record.error.errorType, errorMessage: record.error.message }
          : (record.result ?? null),
      ),
      log: `${record.log.join('\n')}\n`,
    };
  } finally {
    await host.stop();
  }
}

/** The outcome as lines for the terminal: the log on stderr, the result on stdout. */
export function printOutcome(
  label: string,
  outcome: Outcome,
  out: { stdout(text: string): void; stderr(text: string): void },
): number {
  const via =
    outcome.via === 'api' ? 'the running npm start' : 'cdk.out, on its own (no npm start running)';
  if (outcome.statusCode === 202) {
    out.stderr(`${label}: queued through ${via} (request ${outcome.requestId ?? '?'})\n`);
    return EXIT.ok;
  }
  if (outcome.log) out.stderr(outcome.log.endsWith('\n') ? outcome.log : `${outcome.log}\n`);
  if (outcome.functionError) {
    out.stderr(`${label} failed (${outcome.functionError}), run by ${via}:\n`);
    out.stdout(`${outcome.payload}\n`);
    return EXIT.functionFailed;
  }
  out.stderr(`${label} succeeded, run by ${via}:\n`);
  out.stdout(`${outcome.payload}\n`);
  return EXIT.ok;
}

/**
 * The command line of invoke and fire: one positional (`what`, e.g.
 * FUNCTION), --async, --help and `strings` (options taking a value).
 */
export function parseCommandLine(
  argv: string[],
  what: string,
  strings: readonly string[] = [],
): { name: string; async: boolean; values: Record<string, string | undefined> } | 'help' {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(strings.map((option) => [option, { type: 'string' as const }])),
        async: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) {
    throw new UsageError(
      `${what} must be one name, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`,
    );
  }
  return {
    name: positionals[0] as string,
    async: values.async === true,
    values: Object.fromEntries(
      strings.map((option) => [option, values[option] as string | undefined]),
    ),
  };
}

/** Where printOutcome() writes: the terminal. */
export const terminal = {
  stdout: (text: string) => process.stdout.write(text),
  stderr: (text: string) => process.stderr.write(text),
};

/** An asynchronous invocation asked for with no runtime to queue it. */
export function noRuntimeForAsync(): InvokeError {
  return new InvokeError('--async needs a running npm start: nothing answers on its Lambda API');
}

/**
 * A command's life: its arguments parsed (bad ones answered in one line,
 * exit 2), --help, then `act` (an InvokeError answered in one line, exit 3).
 */
export async function runCli<O>(
  name: string,
  usage: string,
  parse: () => Promise<O | 'help'> | O | 'help',
  act: (options: O) => Promise<number>,
): Promise<number> {
  let options: O | 'help';
  try {
    options = await parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${name}: ${error.message} (see --help)\n`);
    return EXIT.badArguments;
  }
  if (options === 'help') {
    process.stdout.write(`${usage}\n`);
    return EXIT.ok;
  }
  try {
    return await act(options);
  } catch (error) {
    if (!(error instanceof InvokeError)) throw error;
    process.stderr.write(`${name}: ${error.message}\n`);
    return EXIT.cannotInvoke;
  }
}

function refusedConnection(error: unknown): boolean {
  for (
    let e = error as { code?: unknown; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (e.code === 'ECONNREFUSED') return true;
    if (Array.isArray((e as { errors?: unknown }).errors)) {
      if ((e as { errors: unknown[] }).errors.some(refusedConnection)) return true;
    }
  }
  return false;
}
