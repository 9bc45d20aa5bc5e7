/**
 * npm run invoke: invokes one function of the stack now and prints its log
 * and result. See `npm run invoke -- --help`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_LAMBDA_API_PORT } from '../local/lambda/invoke-api.ts';
import {
  EXIT,
  findFunction,
  InvokeError,
  invokeStandalone,
  invokeThroughApi,
  printOutcome,
  readStack,
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
  let parsed: ReturnType<typeof parseInvokeArgs>;
  try {
    parsed = parseInvokeArgs(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) {
    throw new UsageError(
      `FUNCTION must be one function name, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`,
    );
  }
  if (values.event !== undefined && values.payload !== undefined) {
    throw new UsageError('--event and --payload must not be given together, got both');
  }
  let event: unknown = {};
  if (values.payload !== undefined) event = json('--payload', values.payload);
  if (values.event !== undefined) {
    let text: string;
    try {
      text = values.event === '-' ? await readStdin() : await readFile(values.event, 'utf8');
    } catch (error) {
      throw new UsageError(
        `--event must be a readable JSON file or -, got ${values.event} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    event = json('--event', text, values.event);
  }
  return { function: positionals[0] as string, event, async: values.async ?? false };
}

function parseInvokeArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      event: { type: 'string' },
      payload: { type: 'string' },
      async: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
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

async function main(argv: string[]): Promise<number> {
  let options: Options | 'help';
  try {
    options = await parseOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`invoke: ${error.message} (see --help)\n`);
    return EXIT.badArguments;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  try {
    const stack = await readStack();
    const fn = stack ? findFunction(stack, options.function) : undefined;
    const label = fn?.name ?? options.function;
    const viaApi = await invokeThroughApi(fn?.functionName ?? options.function, options.event, {
      async: options.async,
      ...(stack ? { region: stack.model.region } : {}),
    });
    if (viaApi) return printOutcome(label, viaApi, output);
    if (options.async) {
      throw new InvokeError('--async needs a running npm start: nothing answers on its Lambda API');
    }
    if (!stack || !fn) {
      throw new InvokeError(
        'no npm start is running and there is no synthesized stack (cdk.out) to run the function from: run npm start or npm run synth',
      );
    }
    return printOutcome(label, await invokeStandalone(fn, stack, options.event), output);
  } catch (error) {
    if (!(error instanceof InvokeError)) throw error;
    process.stderr.write(`invoke: ${error.message}\n`);
    return EXIT.cannotInvoke;
  }
}

const output = {
  stdout: (text: string) => process.stdout.write(text),
  stderr: (text: string) => process.stderr.write(text),
};

process.exitCode = await main(process.argv.slice(2));
