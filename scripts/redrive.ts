/**
 * npm run redrive: delivers dead-lettered batches to their functions again.
 * Locally from local_runtime.dead_letters, with the bundled functions of the
 * synthesized stack; on AWS (--aws) from the S3 on-failure destination.
 * See `npm run redrive -- --help`.
 */
import { LOCAL_DATABASE_URL, operatorDatabaseSetting } from '../lambdas/shared/db.ts';
import { type RedriveReport, startLocalRuntime } from '../local/runtime.ts';
import { renderTable } from '../local/shared/text-table.ts';
import { describeDatabaseError } from './report/database-errors.ts';

const EXIT = { ok: 0, someFailed: 1, badArguments: 2, unreachable: 3 } as const;

const USAGE = `Usage: npm run redrive -- [--id <n> ...] [--function <name>] [--retries <n>] [--json]
       npm run redrive -- --aws --bucket <name> [--prefix <p>] [--function <name>] [--json]

Delivers the batches the event source mappings gave up on to their functions
again, as a normal batch (partial batch responses, bisection, retries), and
marks each one redriven. The pipeline stores every event once, so a batch
delivered twice changes nothing.

Locally (the default): the dead letters in local_runtime.dead_letters that
are not redriven yet, delivered by the bundled functions of the synthesized
stack (cdk.out, or PRICESTREAM_CDK_OUT; run npm start or npm run synth first),
with the same environment npm start gives them.

  --id <n>           only this dead letter (repeatable)
  --function <name>  only this function's (e.g. BatchConsumer)
  --retries <n>      retries of a batch that keeps failing. Default 2
  --json             the outcome as JSON
  -h, --help         show this help

On AWS (--aws): the objects of the S3 on-failure destination (the stack's
output DeadLetterBucketName) not tagged redriven yet, each invoked on the
function it names (requestContext.functionArn) and tagged redriven=<time>.

  --bucket <name>    the bucket (required with --aws)
  --prefix <p>       only objects under this prefix

Database (local): DATABASE_URL, else ${LOCAL_DATABASE_URL}.

Exit codes: 0 everything redriven (or nothing to do); 1 some batches still
fail (they stay pending); 2 bad arguments; 3 PostgreSQL unreachable.`;

export interface RedriveOptions {
  ids: string[];
  functionName: string | undefined;
  retries: number;
  json: boolean;
  aws: boolean;
  bucket: string | undefined;
  prefix: string | undefined;
  help: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseRedriveArgs(argv: readonly string[]): RedriveOptions {
  const options: RedriveOptions = {
    ids: [],
    functionName: undefined,
    retries: 2,
    json: false,
    aws: false,
    bucket: undefined,
    prefix: undefined,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--id': {
        const id = value();
        if (!/^\d+$/.test(id))
          throw new UsageError(`--id must be a dead letter's number, got ${id}`);
        options.ids.push(id);
        break;
      }
      case '--function':
        options.functionName = value();
        break;
      case '--retries': {
        const raw = value();
        const retries = Number(raw);
        if (!Number.isInteger(retries) || retries < 0 || retries > 100) {
          throw new UsageError(`--retries must be a whole number from 0 to 100, got ${raw}`);
        }
        options.retries = retries;
        break;
      }
      case '--json':
        options.json = true;
        break;
      case '--aws':
        options.aws = true;
        break;
      case '--bucket':
        options.bucket = value();
        break;
      case '--prefix':
        options.prefix = value();
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  if (options.aws && !options.bucket) throw new UsageError('--aws needs --bucket');
  if (!options.aws && (options.bucket || options.prefix)) {
    throw new UsageError('--bucket and --prefix go with --aws');
  }
  if (options.aws && options.ids.length > 0) throw new UsageError('--id is for local dead letters');
  return options;
}

/** One line per dead letter, and a summary. */
export function renderRedrive(reports: readonly RedriveReport[]): string {
  if (reports.length === 0) return 'No dead letters waiting to be redriven.\n';
  const lines = renderTable(
    [
      { header: 'dead letter' },
      { header: 'function' },
      { header: 'shard' },
      { header: 'records', align: 'right' },
      { header: 'was' },
      { header: 'redrive' },
    ],
    reports.map((r) => [
      r.id,
      r.function,
      r.shardId,
      String(r.records),
      r.reason,
      r.outcome.ok ? 'redriven' : `failed: ${r.outcome.error}`,
    ]),
  );
  const failed = reports.filter((r) => !r.outcome.ok).length;
  return `${lines.join('\n')}\n${reports.length} dead letters: ${reports.length - failed} redriven, ${failed} still failing\n`;
}

async function main(argv: string[]): Promise<number> {
  let options: RedriveOptions;
  try {
    options = parseRedriveArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`redrive: ${error.message} (see --help)\n`);
    return EXIT.badArguments;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  let reports: RedriveReport[];
  if (options.aws) {
    const { redriveFromS3 } = await import('./redrive-aws.ts');
    reports = await redriveFromS3({
      bucket: options.bucket as string,
      prefix: options.prefix,
      functionName: options.functionName,
      retries: options.retries,
    });
  } else {
    const databaseUrl = operatorDatabaseSetting().url;
    let runtime: Awaited<ReturnType<typeof startLocalRuntime>>;
    try {
      runtime = await startLocalRuntime({
        synth: false,
        databaseUrl,
        kinesis: false,
        schedules: false,
        customResources: false,
        startWaitMs: 5_000,
      });
    } catch (error) {
      const waited = (error as Error).name === 'StartTimeoutError';
      const { problem, message } = describeDatabaseError(
        waited ? (error as Error).cause : error,
        databaseUrl,
      );
      if (problem === 'unreachable' || waited) {
        process.stderr.write(`redrive: ${message}\n`);
        return EXIT.unreachable;
      }
      process.stderr.write(`redrive: ${(error as Error).message}\n`);
      return EXIT.badArguments;
    }
    try {
      reports = await runtime.redrive({
        ...(options.ids.length > 0 ? { ids: options.ids } : {}),
        ...(options.functionName ? { functionName: options.functionName } : {}),
        retries: options.retries,
      });
    } finally {
      await runtime.stop();
    }
  }
  process.stdout.write(
    options.json
      ? `${JSON.stringify({ deadLetters: reports }, null, 2)}\n`
      : renderRedrive(reports),
  );
  return reports.every((r) => r.outcome.ok) ? EXIT.ok : EXIT.someFailed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
  // The runtime's pools and Workers are closed; nothing else may hold the exit.
  process.exit();
}
