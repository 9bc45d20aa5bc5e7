/** The command line of `npm run bench`. */
import { parseArgs } from 'node:util';

export const MODES = ['standard', 'efo', 'efo-subscribe'] as const;
export type Mode = (typeof MODES)[number];

export interface BenchOptions {
  quick: boolean;
  /** Seconds of the original-load phase (5 symbols every 10 s). */
  durationSeconds: number;
  /** Seconds of each high-load step. */
  stepSeconds: number;
  /** Records/s of the high-load steps, ascending; the first gives the high-load latency. */
  rates: number[];
  modes: Mode[];
  /** Records preloaded for the backlog-drain phase; 0 skips it. */
  drainRecords: number;
  /** Samples of each latency floor. */
  floorSamples: number;
  /** Extra `pricestream:` context for the synthesized stacks, key → value. */
  context: Record<string, string>;
  postgresPort: number;
  kinesisPort: number;
  /** Where results go. */
  outDir: string;
  /** Write baseline.json / baseline.md instead of timestamped files. */
  baseline: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

Runs the local runtime on the synthesized stack with a synthetic load in
place of fetch-prices, and reports per consumer and mode: end-to-end latency
(processed_at - fetched_at) at the original load and at a high load, the
highest rate each consumer keeps up with, the backlog-drain rate, the floors
(bare Kinesis put->get, bare PostgreSQL insert, bare reader throughput), and
CPU and memory. Results: a table, and JSON + Markdown in bench/results/.

Options:
  --quick                 under a minute: standard mode, 20 s of original load,
                          one 10 s step at 100 records/s, floors, no drain
  --duration <s>          original-load phase (5 symbols every 10 s), default 180
  --step <s>              length of each high-load step, default 20
  --rates <r1,r2,...>     records/s of the steps, default 100,200,400,800,1600;
                          the first is the high-load latency figure
  --modes <m1,m2>         standard, efo (realtime consumer through enhanced
                          fan-out, read by polling locally), efo-subscribe (the
                          same, read by SubscribeToShard); default standard,efo
  --drain <n>             records preloaded for the backlog-drain phase, 0 = off,
                          default 10000
  --floor-samples <n>     samples per latency floor, default 200
  --context <key=value>   extra stack configuration, repeatable
                          (e.g. batch.batchingWindowSeconds=5)
  --pg-port <port>        embedded PostgreSQL, default 54359
  --kinesis-port <port>   kinesis-local, default 4598
  --out <dir>             results folder, default bench/results
  --baseline              write baseline.json and baseline.md
  -h, --help              show this help
`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean' },
        duration: { type: 'string' },
        step: { type: 'string' },
        rates: { type: 'string' },
        modes: { type: 'string' },
        drain: { type: 'string' },
        'floor-samples': { type: 'string' },
        context: { type: 'string', multiple: true },
        'pg-port': { type: 'string' },
        'kinesis-port': { type: 'string' },
        out: { type: 'string' },
        baseline: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const quick = values.quick === true;
  const text = (key: string) => values[key] as string | undefined;
  const rates = list(text('rates'), '--rates').map((r) => number(r, '--rates', 1, 100_000));
  if (rates.some((rate, i) => i > 0 && rate <= (rates[i - 1] as number))) {
    throw new UsageError('--rates must be ascending');
  }
  const modes = list(text('modes'), '--modes').map((mode) => {
    if (!(MODES as readonly string[]).includes(mode)) {
      throw new UsageError(`--modes: unknown mode ${mode} (known: ${MODES.join(', ')})`);
    }
    return mode as Mode;
  });
  const context: Record<string, string> = {};
  for (const pair of (values.context as string[] | undefined) ?? []) {
    const [key, value] = pair.split(/=(.*)/s);
    if (!key || value === undefined) throw new UsageError(`--context wants key=value, got ${pair}`);
    context[key.replace(/^pricestream:/, '')] = value;
  }
  return {
    quick,
    durationSeconds: number(text('duration') ?? (quick ? '20' : '180'), '--duration', 1, 86_400),
    stepSeconds: number(text('step') ?? (quick ? '10' : '20'), '--step', 1, 3_600),
    rates: rates.length > 0 ? rates : quick ? [100] : [100, 200, 400, 800, 1600],
    modes: modes.length > 0 ? [...new Set(modes)] : quick ? ['standard'] : ['standard', 'efo'],
    drainRecords: number(text('drain') ?? (quick ? '0' : '10000'), '--drain', 0, 1_000_000),
    floorSamples: number(
      text('floor-samples') ?? (quick ? '50' : '200'),
      '--floor-samples',
      5,
      100_000,
    ),
    context,
    postgresPort: number(text('pg-port') ?? '54359', '--pg-port', 1, 65_535),
    kinesisPort: number(text('kinesis-port') ?? '4598', '--kinesis-port', 2, 65_535),
    outDir: text('out') ?? 'bench/results',
    baseline: values.baseline === true,
    help: values.help === true,
  };
}

function list(value: string | undefined, flag: string): string[] {
  if (value === undefined) return [];
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) throw new UsageError(`${flag} needs at least one value`);
  return items;
}

export function number(value: string, flag: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`${flag} must be a number from ${min} to ${max}, got ${value}`);
  }
  return parsed;
}
