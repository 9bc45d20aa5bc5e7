/**
 * Crash-only start. The runtime writes down the servers it starts
 * (`<data folder>/services.json`), and a watchdog process stops them if the
 * runtime dies without doing so. If even that fails (the watchdog was
 * killed too), the next start recognises its own leftovers by process id and
 * command line, and stops them before starting again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive } from './processes.ts';

export interface ServiceRecord {
  /** What it is, for messages: `PostgreSQL`, `kinesis-local`. */
  name: string;
  pid: number;
  /** A piece of its command line that identifies it as ours (its data folder, its port). */
  mark: string;
  /** How to stop it so that it keeps its data. */
  signal: NodeJS.Signals;
  graceMs: number;
}

interface RecordFile {
  runtimePid: number;
  services: ServiceRecord[];
}

const FILE = 'services.json';
const WATCHDOG = fileURLToPath(new URL('./watchdog.cjs', import.meta.url));

export class RuntimeAlreadyRunningError extends Error {
  override name = 'UsageError';
}

/** The command line of a running process, or undefined (gone, or not readable here). */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return undefined;
  }
}

/** The parent of a running process, from /proc; undefined where that cannot be read. */
function parentPid(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid …": comm may hold spaces, so read after its ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Whether `pid` runs and its command line contains `mark`. */
function isOurs(pid: number, mark: string): boolean {
  if (!isAlive(pid)) return false;
  const command = commandLine(pid);
  // Where /proc is not there to ask, the process id alone has to do.
  return command === undefined ? !existsSync('/proc') : command.includes(mark);
}

async function readRecord(dataDir: string): Promise<RecordFile | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dataDir, FILE), 'utf8')) as RecordFile;
  } catch {
    return undefined;
  }
}

/**
 * Refuses when another runtime still runs on this data folder (two runtimes
 * on one folder would fight), before anything is started or synthesized.
 * Returns what the record names, for stopLeftovers.
 */
export async function refuseIfRunning(
  dataDir: string,
): Promise<{ record: RecordFile | undefined; services: ServiceRecord[] }> {
  const record = await readRecord(dataDir);
  const services = [...(record?.services ?? []), ...(await unrecordedPostgres(dataDir, record))];
  // A runtime that still runs is the parent of its servers; an orphan's parent is init.
  const owner = services.find(
    (s) => isOurs(s.pid, s.mark) && parentPid(s.pid) === record?.runtimePid,
  );
  if (owner && record && record.runtimePid !== process.pid) {
    throw new RuntimeAlreadyRunningError(
      `Another local runtime (pid ${record.runtimePid}) is running on ${dataDir}. ` +
        'Stop it first, or give this one its own PRICESTREAM_DATA_DIR and ports ' +
        '(npm start -- --help lists them).',
    );
  }
  return { record, services };
}

/**
 * Stops what an earlier run on this data folder left running. Refuses when
 * that run is still alive: two runtimes on one data folder would fight.
 * Returns a line saying what it stopped, or undefined.
 */
export async function stopLeftovers(dataDir: string): Promise<string | undefined> {
  const { services } = await refuseIfRunning(dataDir);
  const stopped: string[] = [];
  for (const service of services) {
    if (!isOurs(service.pid, service.mark)) continue;
    await stopProcess(service.pid, service.signal, service.graceMs);
    stopped.push(`${service.name} (pid ${service.pid})`);
  }
  await rm(path.join(dataDir, FILE), { force: true });
  return stopped.length > 0
    ? `Stopped what a previous run left running: ${stopped.join(', ')}.`
    : undefined;
}

/**
 * A PostgreSQL still running on the data folder that the record does not
 * name (the record was lost, or a run from before it was kept): its
 * postmaster.pid says which process it is.
 */
async function unrecordedPostgres(
  dataDir: string,
  record: RecordFile | undefined,
): Promise<ServiceRecord[]> {
  const pgData = path.join(dataDir, 'postgres');
  const content = await readFile(path.join(pgData, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(content.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return [];
  if (record?.services.some((s) => s.pid === pid)) return [];
  return [{ name: 'PostgreSQL', pid, mark: pgData, ...POSTGRES_STOP }];
}

/** Fast shutdown: clients are disconnected, the data is safe. */
export const POSTGRES_STOP = { signal: 'SIGINT' as NodeJS.Signals, graceMs: 15_000 };
/**
 * kinesis-local saves its streams when it exits after SIGTERM, once its
 * clients' connections are closed: it waits up to 30 s for idle keep-alive
 * connections, then writes the save. Killed before that, it loses what came
 * since its last save (it saves every few seconds, and not once the stop began).
 */
export const KINESIS_STOP = { signal: 'SIGTERM' as NodeJS.Signals, graceMs: 60_000 };

/** Sends `signal`, waits up to `graceMs` for the process to end, then kills it. */
export async function stopProcess(
  pid: number,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

export interface ServiceGuard {
  /** Stops watching: the runtime stops its servers itself. */
  release(): Promise<void>;
}

/**
 * Writes the record and starts the watchdog for `services`. Call release()
 * before stopping them normally.
 */
export async function guardServices(
  dataDir: string,
  services: ServiceRecord[],
): Promise<ServiceGuard> {
  if (services.length === 0) return { release: async () => {} };
  await mkdir(dataDir, { recursive: true });
  const record: RecordFile = { runtimePid: process.pid, services };
  await writeFile(path.join(dataDir, FILE), `${JSON.stringify(record, null, 2)}\n`);
  const watchdog: ChildProcess = spawn(
    process.execPath,
    [
      WATCHDOG,
      JSON.stringify(services.map(({ pid, signal, graceMs }) => ({ pid, signal, graceMs }))),
    ],
    { stdio: ['pipe', 'ignore', 'ignore'] },
  );
  // The pipe must not keep this process alive, nor its end crash it.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void }).unref?.();
  watchdog.stdin?.on('error', () => {});
  return {
    release: async () => {
      if (watchdog.exitCode === null && watchdog.signalCode === null) {
        const exited = new Promise<void>((resolve) => watchdog.once('exit', () => resolve()));
        watchdog.stdin?.end('disarm\n');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
      }
      await rm(path.join(dataDir, FILE), { force: true });
    },
  };
}
