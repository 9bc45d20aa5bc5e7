/**
 * npm run invoke: invokes one function of the stack now and prints its log
 * and result. See `npm run invoke -- --help`.
 */
import { readFile } from 'node:fs/promises';
import { DEFAULT_LAMBDA_API_PORT } from '../local/lambda/invoke-api.ts';
import {
  findFunction,
  InvokeError,
  invokeStandalone,
  invokeThroughApi,
  noRuntimeForAsync,
  parseCommandLine,
  printOutcome,
  readStack,
  runCli,
  terminal,
  UsageError,
} from './invoke/client.ts';

const USAGE = `Usage: npm run invoke -- FUNCTION [--event FILE | --payload JSON] [--async]

Invokes a function of the stack now, as Lambda's Invoke does, and prints its
log (to stderr) and its result (to stdout).

With npm start running, through its Lambda Invoke API (127.0.0.1:${DEFAULT_LAMBDA_API_PORT}, or
PRICESTREAM_LAMBDA_PORT): the function runs in the runtime, with its
environment and services. With none running, the function runs from the
synthesized stack (cdk.out, or PRICESTREAM_CDK_OUT) on its own, with the
environment npm start would give it: it reaches DATABASE_URL and
AWS_ENDPOINT_URL_KINESIS, else the local defaults (PRICESTREAM_PG_PORT,
PRICESTREAM_KINESIS_PORT), which must then be up for a function that needs them.

  FUNCTION        its short name (FetchPrices, Rollup, …), function name or ARN
  --event FILE    the event: a JSON file, or - for standard input
  --payload JSON  the event, inline, e.g. --payload '{"granularity":"10m"}'
                  (neither: an empty event, {})
  --async         InvocationType Event: queue it and return (a running npm start only)
  -h, --help      show this help

Exit codes: 0 the function succeeded (or was queued); 1 it failed (its error
is printed); 2 bad arguments; 3 it could not be invoked (no such function, no
stack to run it from, the API refused).`;

interface Options {
  function: string;
  event: unknown;
  async: boolean;
}

async function parseOptions(argv: string[]): Promise<Options | 'help'> {
  const parsed = parseCommandLine(argv, 'FUNCTION', ['event', 'payload']);
  if (parsed === 'help') return parsed;
  const { event: file, payload } = parsed.values;
  if (file !== undefined && payload !== undefined) {
    throw new UsageError('--event and --payload must not be given together, got both');
  }
  let event: unknown = {};
  if (payload !== undefined) event = json('--payload', payload);
  if (file !== undefined) {
    let text: string;
    try {
      text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(
        `--event must be a readable JSON file or -, got ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    event = json('--event', text, file);
  }
  return { function: parsed.name, event, async: parsed.async };
}

function json(option: string, text: string, name = text): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const shown = name.length > 60 ? `${name.slice(0, 57)}…` : name;
    throw new UsageError(`${option} must be JSON, got ${shown} (${(error as Error).message})`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function invoke(options: Options): Promise<number> {
  const stack = await readStack();
  const fn = stack ? findFunction(stack, options.function) : undefined;
  const label = fn?.name ?? options.function;
  const viaApi = await invokeThroughApi(fn?.functionName ?? options.function, options.event, {
    async: options.async,
    ...(stack ? { region: stack.model.region } : {}),
  });
  if (viaApi) return printOutcome(label, viaApi, terminal);
  if (options.async) throw noRuntimeForAsync();
  if (!stack || !fn) {
    throw new InvokeError(
      'no npm start is running and there is no synthesized stack (cdk.out) to run the function from: run npm start or npm run synth',
    );
  }
  return printOutcome(label, await invokeStandalone(fn, stack, options.event), terminal);
}

process.exitCode = await runCli('invoke', USAGE, () => parseOptions(process.argv.slice(2)), invoke);
