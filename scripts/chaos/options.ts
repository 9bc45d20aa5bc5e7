/** npm run chaos: its command line, and the two sizes of run. */

export interface ChaosOptions {
  /** Numbered valid events to produce. */
  events: number;
  /** Poison records among them (not JSON, a negative price, an unknown version). */
  poison: number;
  /** Offered load, events per second. */
  rate: number;
  runtimeKills: number;
  postgresCrashes: number;
  kinesisRestarts: number;
  /** Reshards: up, then down, alternately. */
  reshards: number;
  /** Windows in which a consumer's every invocation crashes or times out. */
  functionStorms: number;
  /** Background fault probabilities per invocation, injected by the Lambda host. */
  crashProbability: number;
  timeoutProbability: number;
  /** Windows in which the Coinbase stand-in answers 429, 5xx or hangs. */
  coinbaseFaults: number;
  /** How long to wait for the consumers to drain, s. */
  drainTimeoutSeconds: number;
  seed: number;
  postgresPort: number;
  kinesisPort: number;
  dashboardPort: number;
  /**
   * The Coinbase stand-in's. Fixed, not picked at random: its URL is part of
   * the synthesized stack, which then stays the same from run to run (and is
   * found in the assembly cache when there is one).
   */
  coinbasePort: number;
  json: boolean;
  quick: boolean;
  /** Keep the work folder (logs, data) for a look afterwards. */
  keep: boolean;
  help: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage: npm run chaos -- [--quick] [--json] [--events <n>] [--rate <n>] [--seed <n>] [--keep]

Runs the local pipeline on its own ports and data folder with a producer of
numbered events and poison records, injects faults on a schedule, waits for
the consumers to drain, redrives what was dead-lettered, and reports per
consumer: events produced, stored, lost, duplicated, poison rejected,
dead-lettered, redriven, and the time to drain. Exits 1 when an event is lost
or stored twice, or a poison record is not rejected exactly once.

Faults: the runtime killed with SIGKILL and started again; PostgreSQL crashed
(SIGKILL of the postmaster) and restarted; kinesis-local restarted (SIGTERM,
which saves its streams); the stream resharded up and down; consumer
invocations that crash their environment or time out (injected by the Lambda
host); the Coinbase stand-in answering 429, 5xx or not at all.

  --quick          a run of about 70 s (2,000 events); the default is the
                   full run: 100,000 events, 1,000 poison records, 20
                   runtime kills, 5 PostgreSQL crashes, 3 kinesis-local
                   restarts, 2 reshards
  --events <n>     numbered events (poison records are 1 % of them)
  --rate <n>       events per second (default 100; quick 60)
  --seed <n>       the fault schedule's seed (default 1)
  --json           the report as JSON
  --keep           keep the work folder (runtime log, data)
  -h, --help       show this help

Ports: PostgreSQL 54529, kinesis-local 4758, dashboard 3049, the Coinbase
stand-in 3048 (PRICESTREAM_CHAOS_PG_PORT, PRICESTREAM_CHAOS_KINESIS_PORT,
PRICESTREAM_CHAOS_DASHBOARD_PORT, PRICESTREAM_CHAOS_COINBASE_PORT).`;

const FULL = {
  events: 100_000,
  rate: 100,
  runtimeKills: 20,
  postgresCrashes: 5,
  kinesisRestarts: 3,
  reshards: 2,
  functionStorms: 4,
  coinbaseFaults: 6,
  drainTimeoutSeconds: 600,
};

const QUICK = {
  events: 2_000,
  rate: 60,
  runtimeKills: 2,
  postgresCrashes: 1,
  kinesisRestarts: 1,
  reshards: 1,
  functionStorms: 1,
  coinbaseFaults: 1,
  drainTimeoutSeconds: 90,
};

export function parseChaosArgs(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): ChaosOptions {
  const quick = argv.includes('--quick');
  const size = quick ? QUICK : FULL;
  const port = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 65_535) {
      throw new UsageError(`${name} must be a port number, got ${raw}`);
    }
    return value;
  };
  const options: ChaosOptions = {
    ...size,
    poison: Math.round(size.events / 100),
    crashProbability: 0.002,
    timeoutProbability: 0.002,
    seed: 1,
    postgresPort: port('PRICESTREAM_CHAOS_PG_PORT', 54529),
    kinesisPort: port('PRICESTREAM_CHAOS_KINESIS_PORT', 4758),
    dashboardPort: port('PRICESTREAM_CHAOS_DASHBOARD_PORT', 3049),
    coinbasePort: port('PRICESTREAM_CHAOS_COINBASE_PORT', 3048),
    json: false,
    quick,
    keep: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg];
    const number = (min: number, max: number) => {
      const raw = inline ?? argv[++i];
      const value = Number(raw);
      if (raw === undefined || !Number.isInteger(value) || value < min || value > max) {
        throw new UsageError(
          `${flag} must be a whole number from ${min} to ${max}, got ${raw ?? 'nothing'}`,
        );
      }
      return value;
    };
    switch (flag) {
      case '--quick':
        break;
      case '--events':
        options.events = number(100, 10_000_000);
        options.poison = Math.round(options.events / 100);
        break;
      case '--rate':
        options.rate = number(1, 2_000);
        break;
      case '--seed':
        options.seed = number(0, 2 ** 31);
        break;
      case '--json':
        options.json = true;
        break;
      case '--keep':
        options.keep = true;
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
