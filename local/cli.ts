/** The `npm start` command line: arguments, help and the start-up summary. */
import type { LocalRuntime } from './runtime.ts';
import { displayUrl } from './shared/display-url.ts';

export interface CliOptions {
  source: 'coinbase' | 'sim' | 'auto' | undefined;
  /** Local only: the streams' retention in minutes instead of the template's. */
  retentionMinutes: number | undefined;
  /** true: always; false: never (--no-synth); 'if-stale': when cdk.out is not current for the sources. */
  synth: boolean | 'if-stale';
  verbose: boolean;
  help: boolean;
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
  --retention-minutes <n>     keep stream records n minutes (0.1 to 525600) instead of
                              the template's RetentionPeriodHours; local only
  --synth                     synthesize again even when cdk.out is current
  --no-synth                  run the existing cloud assembly (cdk.out) as it is
  --verbose                   print every function log line as raw JSON
  -h, --help                  show this help

Environment:
  DATABASE_URL                use this PostgreSQL instead of the embedded one
  AWS_ENDPOINT_URL_KINESIS    use this Kinesis instead of kinesis-local
  PRICESTREAM_PG_PORT         embedded PostgreSQL port (54329)
  PRICESTREAM_KINESIS_PORT    kinesis-local port (4568)
  PRICESTREAM_DASHBOARD_PORT  local dashboard port (3000)
  PRICESTREAM_DATA_DIR        data of the embedded servers (.data)
  PRICESTREAM_CDK_OUT         cloud assembly directory (cdk.out)
  PRICESTREAM_START_WAIT_SECONDS
                              how long start-up waits for PostgreSQL and Kinesis (60)
  PRICESTREAM_FAULTS_FILE     a fault plan for the Lambda host (what npm run chaos uses)

A second runtime beside a running one needs its own PRICESTREAM_DATA_DIR and
ports (all three).
`;

export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    source: undefined,
    retentionMinutes: undefined,
    synth: 'if-stale',
    verbose: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg];
    switch (flag) {
      case '--source': {
        const value = inline ?? argv[++i];
        if (value !== 'coinbase' && value !== 'sim' && value !== 'auto') {
          throw new UsageError(`--source must be coinbase, sim or auto, got ${value ?? 'nothing'}`);
        }
        options.source = value;
        break;
      }
      case '--retention-minutes': {
        const value = inline ?? argv[++i];
        const minutes = Number(value);
        if (value === undefined || value.trim() === '' || !(minutes >= 0.1 && minutes <= 525_600)) {
          throw new UsageError(
            `--retention-minutes must be a number of minutes from 0.1 to 525600, got ${value ?? 'nothing'}`,
          );
        }
        options.retentionMinutes = minutes;
        break;
      }
      case '--synth':
        options.synth = true;
        break;
      case '--no-synth':
        options.synth = false;
        break;
      case '--verbose':
      case '-v':
        options.verbose = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  return options;
}

export function formatRetention(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : `${+(ms / 60_000).toFixed(2)} min`;
}

/** What runs where, printed once the runtime is up. */
export function formatSummary(runtime: LocalRuntime, options: CliOptions): string {
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
  for (const rule of model.rules.filter((r) => r.enabled)) {
    const targets = rule.targets
      .map((t) => {
        const name = model.functions.find((f) => f.logicalId === t.functionLogicalId)?.displayName;
        const input = t.input === undefined ? '' : ` ${JSON.stringify(t.input)}`;
        return `${name}${input.length > 80 ? `${input.slice(0, 77)}…` : input}`;
      })
      .join(', ');
    lines.push(`  schedule      ${rule.scheduleExpression} → ${targets}`);
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
