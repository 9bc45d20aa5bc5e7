/** npm run soak: its command line. */
import { parseArgs } from 'node:util';

export interface SoakOptions {
  /** Numbered events per second. */
  rate: number;
  minutes: number;
  /** The streams' retention for the run (npm start -- --retention-minutes). */
  retentionMinutes: number;
  /** Seconds between two rows of the table. */
  sampleSeconds: number;
  /** Stop the runtime cleanly in the middle of the run and start it again. */
  restart: boolean;
  /** The run's data folder (kept); default a new one under the temp folder, removed after. */
  dir: string | undefined;
  postgresPort: number;
  kinesisPort: number;
  dashboardPort: number;
  json: boolean;
  quick: boolean;
  keep: boolean;
  help: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage: npm run soak -- [--quick] [--rate <n>] [--minutes <n>] [--retention-minutes <n>]
                      [--restart] [--json] [--dir <path>] [--keep]

Runs the local pipeline (npm start, with the simulated market) on its own
ports and data folder with a producer of numbered events at a steady rate,
the streams' retention shortened so that the run ages records out many times
over, and prints a row per minute: records the stream holds, the time of a
5-entry PutRecords, realtime and batch latency p50/p95, and the RSS of
kinesis-local, the runtime and PostgreSQL. Then it drains, redrives what was
dead-lettered, and counts.

Exits 1 when an event is lost or stored twice, or when the stream's size or a
figure keeps growing: its median over the last retention period is more than
20 % (and a small margin) above its median over the first retention period
after the first one. Exits 2 on bad arguments.

  --quick                 about 2 minutes: 20 events/s for 1.5 min, retention
                          0.5 min, a row every 9 s (the e2e tests run it)
  --rate <n>              events per second (default 100)
  --minutes <n>           how long to produce (default 30)
  --retention-minutes <n> the streams' retention (default 2)
  --every <s>             seconds between rows (default 60)
  --restart               stop the runtime (Ctrl-C) halfway and start it again
  --json                  the report as JSON (progress goes to stderr)
  --dir <path>            the run's data folder, kept (default: a new one under
                          the temp folder, removed afterwards unless --keep)
  --keep                  keep the data folder (runtime log, data)
  -h, --help              show this help

Ports: PostgreSQL 54629, kinesis-local 4858, dashboard 3059
(PRICESTREAM_SOAK_PG_PORT, PRICESTREAM_SOAK_KINESIS_PORT,
PRICESTREAM_SOAK_DASHBOARD_PORT).`;

const QUICK = { rate: 20, minutes: 1.5, retentionMinutes: 0.5, sampleSeconds: 9 };
const FULL = { rate: 100, minutes: 30, retentionMinutes: 2, sampleSeconds: 60 };

function number(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
  integer = false,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (
    raw.trim() === '' ||
    !(value >= min && value <= max) ||
    (integer && !Number.isInteger(value))
  ) {
    throw new UsageError(
      `--${name} must be a ${integer ? 'whole number' : 'number'} from ${min} to ${max}, got ${raw}`,
    );
  }
  return value;
}

function port(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) {
    throw new UsageError(`${name} must be a port number, got ${raw}`);
  }
  return value;
}

export function parseSoakArgs(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): SoakOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean' },
        rate: { type: 'string' },
        minutes: { type: 'string' },
        'retention-minutes': { type: 'string' },
        every: { type: 'string' },
        restart: { type: 'boolean' },
        json: { type: 'boolean' },
        dir: { type: 'string' },
        keep: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message);
    throw new UsageError(unknown ? `unknown option ${unknown[1]}` : message.split('\n')[0]);
  }
  const base = values.quick ? QUICK : FULL;
  const text = (name: string) => values[name] as string | undefined;
  const options: SoakOptions = {
    rate: number('rate', text('rate'), base.rate, 1, 1_000),
    minutes: number('minutes', text('minutes'), base.minutes, 0.5, 10_080),
    retentionMinutes: number(
      'retention-minutes',
      text('retention-minutes'),
      base.retentionMinutes,
      0.25,
      1_440,
    ),
    sampleSeconds: number('every', text('every'), base.sampleSeconds, 5, 3_600, true),
    restart: values.restart === true,
    dir: text('dir'),
    postgresPort: port(env, 'PRICESTREAM_SOAK_PG_PORT', 54629),
    kinesisPort: port(env, 'PRICESTREAM_SOAK_KINESIS_PORT', 4858),
    dashboardPort: port(env, 'PRICESTREAM_SOAK_DASHBOARD_PORT', 3059),
    json: values.json === true,
    quick: values.quick === true,
    keep: values.keep === true,
    help: values.help === true,
  };
  if (options.minutes * 60 < 3 * options.retentionMinutes * 60) {
    throw new UsageError(
      `--minutes must be at least 3 retention periods (${3 * options.retentionMinutes}), got ${options.minutes}`,
    );
  }
  return options;
}
