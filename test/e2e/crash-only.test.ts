/**
 * `npm start` as a crash-only program: killed with SIGKILL it leaves nothing
 * that blocks the next start (its watchdog stops PostgreSQL and
 * kinesis-local; if the watchdog died too, the next start stops them), and
 * it waits for a database that comes up after it.
 *
 * Each case runs the real command (`node --import tsx local/main.ts`) in a
 * child process, on a stack synthesized once (a copy of the assembly cache's,
 * since one case checks that nothing writes into it), with its own ports and
 * data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localDatabaseUrl, startEmbeddedPostgres } from '../../local/services/postgres.ts';
import { isAlive } from '../../local/services/processes.ts';
import { stackAssembly } from '../support/assembly.ts';
import { ROOT } from '../support/run-script.ts';
import { waitFor } from '../support/wait.ts';

const PG_PORT = Number(process.env.PRICESTREAM_E2E_CRASH_PG_PORT ?? 54519);
const KINESIS_PORT = Number(process.env.PRICESTREAM_E2E_CRASH_KINESIS_PORT ?? 4748);
const DASHBOARD_PORT = Number(process.env.PRICESTREAM_E2E_CRASH_DASHBOARD_PORT ?? 3039);
const LAMBDA_PORT = Number(process.env.PRICESTREAM_E2E_CRASH_LAMBDA_PORT ?? 3038);

let workDir: string;
let cdkOut: string;
const running = new Set<ChildProcess>();
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'pricestream-e2e-crash-'));
  await chmod(workDir, 0o755); // as root, PostgreSQL runs as the postgres user
  cdkOut = path.join(workDir, 'cdk.out');
  await cp(await stackAssembly(), cdkOut, { recursive: true });
}, 240_000);

afterEach(async () => {
  for (const child of running) await stopStart(child);
  for (const stop of stops.splice(0).reverse()) await stop();
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

interface Start {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in the output so far or to come. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

function npmStart(
  dataDir: string,
  env: Record<string, string> = {},
  synth: '--no-synth' | '--synth' = '--no-synth',
): Start {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'local/main.ts', synth, '--source', 'sim'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PRICESTREAM_CDK_OUT: cdkOut,
        PRICESTREAM_DATA_DIR: dataDir,
        PRICESTREAM_PG_PORT: String(PG_PORT),
        PRICESTREAM_KINESIS_PORT: String(KINESIS_PORT),
        PRICESTREAM_DASHBOARD_PORT: String(DASHBOARD_PORT),
        PRICESTREAM_LAMBDA_PORT: String(LAMBDA_PORT),
        NO_COLOR: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  child.on('exit', () => running.delete(child));
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return {
    child,
    output: () => output,
    waitForOutput: async (pattern, timeoutMs = 60_000) => {
      await waitFor(
        async () => pattern.test(output) || child.exitCode !== null,
        (found) => found,
        { timeoutMs, intervalMs: 100, what: `${pattern} in the output` },
      );
      const match = output.match(pattern);
      if (!match)
        throw new Error(`npm start exited (${child.exitCode}) without ${pattern}:\n${output}`);
      return match;
    },
  };
}

/** Ctrl-C, and wait for the clean stop. */
async function stopStart(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
}

/** The pids `npm start` prints for the servers it started. */
async function servicePids(start: Start): Promise<{ postgres: number; kinesis: number }> {
  const [, postgres] = await start.waitForOutput(/\(embedded, pid (\d+)\)/);
  const [, kinesis] = await start.waitForOutput(/\(kinesis-local, pid (\d+)\)/);
  return { postgres: Number(postgres), kinesis: Number(kinesis) };
}

/** Processes whose parent is `pid` and whose command line contains `mark`. */
function childrenOf(pid: number, mark: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (ppid === pid && command.includes(mark)) found.push(Number(entry));
    } catch {}
  }
  return found;
}

function commandLineOf(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
}

async function pricesIn(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM silver.prices');
    return Number(rows[0]?.n);
  } finally {
    await client.end();
  }
}

const localUrl = () => localDatabaseUrl(PG_PORT, 'pricestream');

/** Waits until silver.prices holds more than `than` rows. */
async function morePrices(url: string, than: number): Promise<number> {
  return waitFor(
    () => pricesIn(url).catch(() => 0),
    (n) => n > than,
    { timeoutMs: 60_000, intervalMs: 500, what: `more than ${than} rows in silver.prices` },
  );
}

const gone = (pid: number, what: string) =>
  waitFor(
    async () => isAlive(pid),
    (alive) => !alive,
    { timeoutMs: 45_000, intervalMs: 100, what: `${what} (pid ${pid}) to stop` },
  );

describe('npm start after a crash', () => {
  it('killed with SIGKILL, its watchdog stops its servers, and the next start goes on', async () => {
    const dataDir = path.join(workDir, 'data-watchdog');
    const first = npmStart(dataDir);
    const pids = await servicePids(first);
    const before = await morePrices(localUrl(), 0);

    first.child.kill('SIGKILL');
    await gone(pids.postgres, 'PostgreSQL');
    await gone(pids.kinesis, 'kinesis-local');
    const second = npmStart(dataDir);
    await second.waitForOutput(/Press Ctrl-C to stop/);
    const after = await morePrices(localUrl(), before);

    expect(second.output()).not.toMatch(/previous run left/);
    expect(after).toBeGreaterThan(before);
  });

  it('when its watchdog died with it, the next start stops the leftovers and says so', async () => {
    const dataDir = path.join(workDir, 'data-leftovers');
    const first = npmStart(dataDir);
    const pids = await servicePids(first);
    await first.waitForOutput(/Press Ctrl-C to stop/);
    const before = await morePrices(localUrl(), 0);
    const watchdogs = childrenOf(first.child.pid as number, 'watchdog.cjs');
    expect(watchdogs).toHaveLength(1);

    for (const pid of watchdogs) process.kill(pid, 'SIGKILL');
    first.child.kill('SIGKILL');
    await gone(first.child.pid as number, 'the runtime');
    expect(isAlive(pids.postgres) && isAlive(pids.kinesis)).toBe(true); // orphans now
    const second = npmStart(dataDir);
    await second.waitForOutput(/Press Ctrl-C to stop/, 90_000);
    const after = await morePrices(localUrl(), before);

    expect(second.output()).toContain(
      `Stopped what a previous run left running: PostgreSQL (pid ${pids.postgres}), kinesis-local (pid ${pids.kinesis}).`,
    );
    expect(isAlive(pids.postgres) || isAlive(pids.kinesis)).toBe(false);
    expect(after).toBeGreaterThan(before);
  });
});

describe('a second npm start beside a running one', () => {
  it("is refused at once, before it synthesizes into the running one's cdk.out", async () => {
    const dataDir = path.join(workDir, 'data-second');
    const first = npmStart(dataDir);
    await first.waitForOutput(/Press Ctrl-C to stop/);
    const manifest = path.join(cdkOut, 'manifest.json');
    const before = statSync(manifest).mtimeMs;

    const second = npmStart(dataDir, {}, '--synth');
    const code = await new Promise((resolve) => second.child.once('exit', resolve));

    expect(code).toBe(1);
    expect(second.output()).toMatch(/Another local runtime \(pid \d+\) is running on /);
    expect(second.output()).not.toMatch(/synthesizing the stack/);
    expect(statSync(manifest).mtimeMs).toBe(before);
  });
});

describe('npm start in a terminal', () => {
  it('stops its runtime when the npm start that supervises it is killed', async () => {
    const dataDir = path.join(workDir, 'data-supervised');
    // `script` gives the command a terminal, as a user's shell does: npm start
    // then runs the runtime as a child in its own process group.
    const command = ['node', '--import', 'tsx', 'local/main.ts', '--no-synth', '--source', 'sim'];
    const terminal = spawn('script', ['-qfec', command.join(' '), '/dev/null'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PRICESTREAM_CDK_OUT: cdkOut,
        PRICESTREAM_DATA_DIR: dataDir,
        PRICESTREAM_PG_PORT: String(PG_PORT),
        PRICESTREAM_KINESIS_PORT: String(KINESIS_PORT),
        PRICESTREAM_DASHBOARD_PORT: String(DASHBOARD_PORT),
        PRICESTREAM_LAMBDA_PORT: String(LAMBDA_PORT),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    terminal.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    stops.push(async () => {
      if (terminal.exitCode === null) terminal.kill('SIGKILL');
    });
    await waitFor(
      async () => output,
      (text) => text.includes('Press Ctrl-C to stop'),
      { timeoutMs: 90_000, intervalMs: 200, what: 'the supervised runtime to start' },
    );
    const record = JSON.parse(readFileSync(path.join(dataDir, 'services.json'), 'utf8')) as {
      runtimePid: number;
      services: Array<{ pid: number }>;
    };
    const stat = readFileSync(`/proc/${record.runtimePid}/stat`, 'utf8');
    const supervisor = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    expect(commandLineOf(supervisor)).toContain('local/main.ts');

    process.kill(supervisor, 'SIGKILL');
    await gone(record.runtimePid, 'the supervised runtime');
    for (const service of record.services) await gone(service.pid, 'its server');

    // A clean stop releases the watchdog and removes the record of its
    // servers; a runtime that died instead (its writes to the closed terminal
    // fail with EIO, which used to be an uncaught error) leaves the record,
    // and the watchdog stops the servers under its in-flight batches. Its
    // "SIGTERM: stopping" line is not checked: it races \`script\` closing
    // the terminal as its child ends.
    expect(existsSync(path.join(dataDir, 'services.json'))).toBe(false);
  });
});

describe('npm start with a database that is not up yet', () => {
  it('waits for DATABASE_URL to come up ten attempts (about 10 s) later, a line per attempt, then starts normally', async () => {
    const port = PG_PORT + 1;
    const url = localDatabaseUrl(port, 'pricestream');
    // The server, with its database, exists but is down: started once to
    // create the database, then stopped. Creating the database only when the
    // server comes up would race the runtime's first connection ("database
    // does not exist" is a configuration error, not a wait).
    const postgresOptions = {
      dataDir: path.join(workDir, 'late-postgres'),
      port,
      database: 'pricestream',
      fast: true,
    };
    await (await startEmbeddedPostgres(postgresOptions)).stop();
    const start = npmStart(path.join(workDir, 'data-late-db'), { DATABASE_URL: url });
    await start.waitForOutput(/waiting for PostgreSQL \(attempt 1, 0 s\): .*ECONNREFUSED/);

    // The server comes up once the runtime has said ten times that it waits.
    await waitFor(
      async () => start.output().match(/waiting for PostgreSQL/g)?.length ?? 0,
      (attempts) => attempts >= 10 || start.child.exitCode !== null,
      { timeoutMs: 60_000, intervalMs: 200, what: 'ten attempts to reach PostgreSQL' },
    );
    const postgres = await startEmbeddedPostgres(postgresOptions);
    stops.push(async () => {
      for (const child of running) await stopStart(child);
      await postgres.stop();
    });
    await start.waitForOutput(/Press Ctrl-C to stop/);
    const rows = await morePrices(url, 0);

    expect(start.output()).toMatch(/PostgreSQL +postgres:\/\/.*\(external\)/);
    expect(start.output().match(/waiting for PostgreSQL/g)?.length).toBeGreaterThanOrEqual(10);
    expect(rows).toBeGreaterThan(0);
  });
});
