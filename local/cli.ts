/** The `npm start` command line: arguments, help and the start-up summary. */
import { parseArgs as parseNodeArgs } from 'node:util';
import type { RateStart } from './eventbridge/scheduler.ts';
import type { LocalRuntime } from './runtime.ts';
import { displayUrl } from './shared/display-url.ts';

export interface CliOptions {
  source: 'coinbase' | 'sim' | 'auto' | undefined;
  /** true: always; false: never (--no-synth); 'if-stale': when cdk.out is not current for the sources. */
  synth: boolean | 'if-stale';
  verbose: boolean;
  help: boolean;
  /** `-c key=value` context for the synthesis, as `cdk synth` takes it. */
  context: Record<string, string>;
  rateStart: RateStart;
  /** Local only: the streams' retention in minutes instead of the template's. */
  retentionMinutes: number | undefined;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage: npm start -- [options]

Runs the pricestream stack locally: synthesizes it (when the sources changed
since cdk.out was made), starts PostgreSQL and kinesis-local, applies the
migrations, and runs the functions as wired in the template (schedules,
event source mappings).

Options:
  --source coinbase|sim|auto  where fetch-prices gets prices (default: the stack's, auto)
  -c, --context KEY=VALUE     context for the synthesis, as cdk synth takes it, e.g.
                              -c 'pricestream:rollup.schedule=cron(* * * * ? *)'
                              (may be repeated)
  --retention-minutes <n>     keep stream records n minutes (0.1 to 525600) instead of
                              the template's RetentionPeriodHours; local only
  --rate-start now|period     when rate() schedules first fire: now (default: at
                              start, so the first data comes at once) or one
                              period after start (as on AWS)
  --synth                     synthesize again even when cdk.out is current
  --no-synth                  run the existing cloud assembly (cdk.out) as it is
  --verbose                   print every function log line as raw JSON
  -h, --help                  show this help

While it runs:
  Lambda Invoke API           http://127.0.0.1:3001 (PRICESTREAM_LAMBDA_PORT):
                              npm run invoke -- FUNCTION, npm run fire -- RULE, or
                              aws lambda invoke --endpoint-url http://127.0.0.1:3001 …
  dashboard                   http://127.0.0.1:3000 (PRICESTREAM_DASHBOARD_PORT)

Environment:
  DATABASE_URL                use this PostgreSQL instead of the embedded one
  AWS_ENDPOINT_URL_KINESIS    use this Kinesis instead of kinesis-local
  PRICESTREAM_PG_PORT         embedded PostgreSQL port (54329)
  PRICESTREAM_KINESIS_PORT    kinesis-local port (4568)
  PRICESTREAM_LAMBDA_PORT     the Lambda Invoke API's port (3001)
  PRICESTREAM_DASHBOARD_PORT  local dashboard port (3000)
  PRICESTREAM_DATA_DIR        data of the embedded servers (.data)
  PRICESTREAM_CDK_OUT         cloud assembly directory (cdk.out)
  PRICESTREAM_START_WAIT_SECONDS
                              how long start-up waits for PostgreSQL and Kinesis (60)
  PRICESTREAM_FAULTS_FILE     a fault plan for the Lambda host (what npm run chaos uses)

A second runtime beside a running one needs its own PRICESTREAM_DATA_DIR and
ports (all three).
`;

const SOURCES = ['coinbase', 'sim', 'auto'] as const;
const RATE_STARTS = ['now', 'period'] as const;

export function parseArgs(argv: readonly string[]): CliOptions {
  let values: {
    source?: string;
    context?: string[];
    'rate-start'?: string;
    'retention-minutes'?: string;
    synth?: boolean;
    'no-synth'?: boolean;
    verbose?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseNodeArgs({
      args: [...argv],
      options: {
        source: { type: 'string' },
        context: { type: 'string', short: 'c', multiple: true },
        'rate-start': { type: 'string' },
        'retention-minutes': { type: 'string' },
        synth: { type: 'boolean' },
        'no-synth': { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const source = oneOf('--source', values.source, SOURCES);
  const rateStart = oneOf('--rate-start', values['rate-start'], RATE_STARTS) ?? 'now';
  const retentionMinutes = minutes('--retention-minutes', values['retention-minutes']);
  const context: Record<string, string> = {};
  for (const pair of values.context ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      throw new UsageError(
        `--context takes KEY=VALUE (e.g. pricestream:shardCount=4), got ${pair}`,
      );
    }
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  if (values.synth && values['no-synth']) {
    throw new UsageError('--synth and --no-synth must not be given together, got both');
  }
  const synth = values['no-synth'] ? false : values.synth ? true : 'if-stale';
  if (synth === false && Object.keys(context).length > 0) {
    throw new UsageError('--context needs a synthesis: leave out --no-synth');
  }
  return {
    source,
    synth,
    verbose: values.verbose ?? false,
    help: values.help ?? false,
    context,
    rateStart,
    retentionMinutes,
  };
}

function minutes(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !(parsed >= 0.1 && parsed <= 525_600)) {
    throw new UsageError(`${option} must be a number of minutes from 0.1 to 525600, got ${value}`);
  }
  return parsed;
}

export function formatRetention(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : `${+(ms / 60_000).toFixed(2)} min`;
}

function oneOf<T extends string>(
  option: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) {
    throw new UsageError(
      `${option} must be ${allowed.join(', ').replace(/, ([^,]*)$/, ' or $1')}, got ${value}`,
    );
  }
  return value as T;
}

/** `12:05` on the day of `now`, `2026-01-31 00:05` on another (UTC). */
function utcMinute(date: Date, now: number): string {
  const iso = date.toISOString();
  const today = new Date(now).toISOString().slice(0, 10);
  return iso.startsWith(today) ? iso.slice(11, 16) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** What runs where, printed once the runtime is up. */
export function formatSummary(
  runtime: LocalRuntime,
  options: Pick<CliOptions, 'source' | 'rateStart' | 'retentionMinutes'>,
): string {
  const { model } = runtime;
  const lines = [
    `pricestream local runtime: stack ${runtime.stackName} from ${runtime.cdkOut}`,
    `  PostgreSQL    ${displayUrl(runtime.databaseUrl)}${runtime.pids.postgres ? ` (embedded, pid ${runtime.pids.postgres})` : ' (external)'}`,
    `  Kinesis       ${runtime.kinesisEndpoint}${runtime.pids.kinesis ? ` (kinesis-local, pid ${runtime.pids.kinesis})` : ' (external)'}`,
    `  streams       ${
      model.streams
        .map(
          (s) =>
            `${s.name} (${s.shardCount} shards, retention ${formatRetention(runtime.retentionMs[s.name] ?? s.retentionHours * 3_600_000)}${options.retentionMinutes !== undefined ? ', --retention-minutes' : ''})`,
        )
        .join(', ') || 'none'
    }`,
    `  functions     ${
      runtime.functions
        .filter((f) => f.hosted)
        .map((f) => f.name)
        .join(', ') || 'none'
    }`,
  ];
  for (const { rule, nextFirings, notRunBecause } of runtime.schedules(3)) {
    if (!rule.enabled) continue;
    const targets = rule.targets
      .map((t) => {
        const name = model.functions.find((f) => f.logicalId === t.functionLogicalId)?.displayName;
        const input = t.input === undefined ? '' : ` ${JSON.stringify(t.input)}`;
        return `${name}${input.length > 80 ? `${input.slice(0, 77)}…` : input}`;
      })
      .join(', ');
    const when = notRunBecause
      ? `not run: ${notRunBecause}`
      : `next (UTC) ${nextFirings.map((d) => utcMinute(d, runtime.clock())).join(', ')}`;
    lines.push(
      `  schedule      ${rule.displayName} ${rule.scheduleExpression} → ${targets}; ${when}`,
    );
  }
  if (
    options.rateStart === 'now' &&
    model.rules.some((r) => /^rate\(/.test(r.scheduleExpression))
  ) {
    lines.push(
      '                rate() rules fired at start (on AWS: one period after; --rate-start period)',
    );
  }
  for (const mapping of runtime.mappings) {
    const m = mapping.model;
    lines.push(
      `  mapping       ${mapping.name}: batch ${m.batchSize}, window ${m.maximumBatchingWindowSeconds} s, ` +
        `${m.startingPosition}, retries ${m.maximumRetryAttempts}${m.bisectBatchOnFunctionError ? ', bisect' : ''}` +
        `${m.reportBatchItemFailures ? ', partial batch responses' : ''}`,
    );
  }
  lines.push(
    `  dead letters  ${runtime.deadLetterTable} (checkpoints in ${runtime.checkpointTable})`,
  );
  const fetch = runtime.functions.find((f) => f.environment.PRICE_SOURCE !== undefined);
  if (fetch)
    lines.push(
      `  price source  ${fetch.environment.PRICE_SOURCE}${options.source ? ' (--source)' : ''}`,
    );
  lines.push('Press Ctrl-C to stop.');
  return `${lines.join('\n')}\n`;
}
