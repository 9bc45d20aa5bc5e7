/** The command line of `npm run study`. */
import { parseArgs } from 'node:util';
import { number, UsageError } from '../options.ts';

export const REALTIME_MODES = ['standard', 'efo'] as const;
export type RealtimeMode = (typeof REALTIME_MODES)[number];

/** An offered load: the original system's (every symbol every 10 s) or records/s. */
export type OfferedLoad = 'original' | number;

export interface StudyOptions {
  quick: boolean;
  json: boolean;
  /** The batched consumer's batching windows, seconds. */
  windows: number[];
  /** The batched consumer's batch sizes. */
  sizes: number[];
  /** The per-record consumer's read modes. */
  modes: RealtimeMode[];
  loads: OfferedLoad[];
  /** Seconds of load per setting at the original load. */
  originalSeconds: number;
  /** Seconds of load per setting at a records/s load. */
  rateSeconds: number;
  postgresPort: number;
  kinesisPort: number;
  outDir: string;
  /** File name (without .json) in outDir; default study-<time>. */
  name: string | undefined;
  help: boolean;
}

export const USAGE = `Usage: npm run study -- [options]

Runs the local pipeline once per setting of a sweep, each setting alone on
fresh servers' streams (the synthesized stack with only that consumer's
event source mapping, fed by the benchmark's load generator), and records per
setting: every latency sample and its parts, throughput, invocations and
database statements per 1,000 records, the runtime's CPU, and the cost per
million events on AWS (bench/study/aws-prices.ts). Prints a table (or JSON
with --json) and writes bench/results/study-<time>.json.

Options:
  --quick                 under 2 minutes: windows 0,1,2,4 s at batch size
                          1000, standard and efo, 100 records/s for 6 s each
  --json                  print the result as JSON on stdout (progress on stderr)
  --windows <s1,s2,...>   batched consumer's batching windows, default 0,1,5,15,30
  --sizes <n1,n2,...>     batched consumer's batch sizes, default 1,100,1000
  --modes <m1,m2>         per-record consumer's reads: standard, efo (enhanced
                          fan-out); default standard,efo; none: --modes ''
  --loads <l1,l2,...>     offered loads: original (5 symbols every 10 s) and/or
                          records/s; default original,100
  --original-seconds <s>  load per setting at the original load, default 180
                          (as bench's original-load phase: 90 records)
  --rate-seconds <s>      load per setting at a records/s load, default 20
  --pg-port <port>        embedded PostgreSQL, default 54419
  --kinesis-port <port>   kinesis-local, default 4648
  --out <dir>             results folder, default bench/results
  --name <name>           result file name without .json, default study-<time>
  -h, --help              show this help
`;

export { UsageError };

export function parseStudyArgs(argv: readonly string[]): StudyOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean' },
        json: { type: 'boolean' },
        windows: { type: 'string' },
        sizes: { type: 'string' },
        modes: { type: 'string' },
        loads: { type: 'string' },
        'original-seconds': { type: 'string' },
        'rate-seconds': { type: 'string' },
        'pg-port': { type: 'string' },
        'kinesis-port': { type: 'string' },
        out: { type: 'string' },
        name: { type: 'string' },
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
  const numbers = (key: string, fallback: string, min: number, max: number) =>
    [...new Set(list(text(key) ?? fallback).map((v) => number(v, `--${key}`, min, max)))].sort(
      (a, b) => a - b,
    );
  const windows = numbers('windows', quick ? '0,1,2,4' : '0,1,5,15,30', 0, 300);
  const sizes = numbers('sizes', quick ? '1000' : '1,100,1000', 1, 10_000);
  const modes = list(text('modes') ?? 'standard,efo').map((mode) => {
    if (!(REALTIME_MODES as readonly string[]).includes(mode)) {
      throw new UsageError(`--modes: unknown mode ${mode} (known: ${REALTIME_MODES.join(', ')})`);
    }
    return mode as RealtimeMode;
  });
  const loads = list(text('loads') ?? (quick ? '100' : 'original,100')).map(
    (load): OfferedLoad => (load === 'original' ? load : number(load, '--loads', 0.1, 10_000)),
  );
  if (loads.length === 0) throw new UsageError('--loads needs at least one load');
  if (windows.length === 0 && modes.length === 0) {
    throw new UsageError('nothing to run: no --windows and no --modes');
  }
  const name = text('name');
  if (name !== undefined && !/^[\w.-]+$/.test(name)) {
    throw new UsageError('--name may hold letters, digits, _ . and - only');
  }
  return {
    quick,
    json: values.json === true,
    windows,
    sizes,
    modes: [...new Set(modes)],
    loads: [...new Set(loads)],
    originalSeconds: number(text('original-seconds') ?? '180', '--original-seconds', 10, 86_400),
    rateSeconds: number(text('rate-seconds') ?? (quick ? '6' : '20'), '--rate-seconds', 1, 3_600),
    postgresPort: number(text('pg-port') ?? '54419', '--pg-port', 1, 65_535),
    kinesisPort: number(text('kinesis-port') ?? '4648', '--kinesis-port', 2, 65_535),
    outDir: text('out') ?? 'bench/results',
    name,
    help: values.help === true,
  };
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
