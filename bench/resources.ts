/**
 * CPU and memory of the processes under test, read from /proc (Linux): the
 * runtime (this process, its Lambda worker threads included), kinesis-local,
 * PostgreSQL (the postmaster and every backend and helper under it), the
 * load generator, and the whole machine (to show what else was running).
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export interface CpuSample {
  at: number;
  /** CPU seconds used so far, per process group. */
  runtime: number;
  kinesis: number;
  postgres: number;
  generator: number;
  /** Busy CPU seconds of the whole machine (every process, ours included). */
  machineBusy: number;
}

export interface ResourcePids {
  kinesis: number | undefined;
  postgres: number | undefined;
  generator: number | undefined;
}

export interface CpuUse {
  seconds: number;
  /** CPU seconds per second, per group: 1 = one core busy. */
  runtime: number;
  kinesis: number;
  postgres: number;
  generator: number;
  machine: number;
  /** Machine minus ours: other work on the machine (other tests, editors…). */
  other: number;
}

export interface MemoryUse {
  /** Resident set of the runtime process (worker threads included), MB. */
  runtimeRssMb: number;
  kinesisRssMb: number;
  /** Proportional set size of the PostgreSQL processes, summed (shared memory counted once), MB. */
  postgresPssMb: number;
}

interface ProcStat {
  ppid: number;
  /** utime + stime, seconds. */
  cpu: number;
  /** cutime + cstime (children already reaped), seconds. */
  childrenCpu: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces; the fields after it are fixed.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const num = (i: number) => Number(fields[i]);
    return {
      ppid: num(1),
      cpu: (num(11) + num(12)) / TICKS_PER_SECOND,
      childrenCpu: (num(13) + num(14)) / TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/** The pid and every process below it. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** CPU seconds of a process and everything below it, exited children included. */
function treeCpu(root: number | undefined): number {
  if (root === undefined) return 0;
  const top = readStat(root);
  if (!top) return 0;
  let total = top.cpu + top.childrenCpu;
  for (const pid of processTree(root).slice(1)) total += readStat(pid)?.cpu ?? 0;
  return total;
}

function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, ...values] = line.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = values.map(Number);
  return (
    ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
    TICKS_PER_SECOND
  );
}

export function sampleCpu(pids: ResourcePids): CpuSample {
  const self = process.cpuUsage();
  return {
    at: performance.now(),
    runtime: (self.user + self.system) / 1e6,
    kinesis: treeCpu(pids.kinesis),
    postgres: treeCpu(pids.postgres),
    generator: treeCpu(pids.generator),
    machineBusy: machineBusySeconds(),
  };
}

export function cpuBetween(from: CpuSample, to: CpuSample): CpuUse {
  const seconds = (to.at - from.at) / 1000;
  const rate = (a: number, b: number) => (seconds > 0 ? round2((b - a) / seconds) : 0);
  const runtime = rate(from.runtime, to.runtime);
  const kinesis = rate(from.kinesis, to.kinesis);
  const postgres = rate(from.postgres, to.postgres);
  const generator = rate(from.generator, to.generator);
  const machine = rate(from.machineBusy, to.machineBusy);
  return {
    seconds: round2(seconds),
    runtime,
    kinesis,
    postgres,
    generator,
    machine,
    other: round2(Math.max(0, machine - runtime - kinesis - postgres - generator)),
  };
}

function statusKb(pid: number, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function pssKb(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) : statusKb(pid, 'VmRSS');
  } catch {
    return statusKb(pid, 'VmRSS');
  }
}

/** Resident set of one process, MB (0 when it is gone). */
export function rssMb(pid: number): number {
  return round2(statusKb(pid, 'VmRSS') / 1024);
}

/** Proportional set size of a process and everything below it, MB (shared memory counted once). */
export function treePssMb(root: number): number {
  return round2(processTree(root).reduce((sum, pid) => sum + pssKb(pid), 0) / 1024);
}

/**
 * Private memory (USS: Private_Clean + Private_Dirty) of a process and
 * everything below it, MB: what the processes hold apart from memory they
 * share (PostgreSQL's shared buffers).
 */
export function treePrivateMb(root: number): number {
  const privateKb = (pid: number) => {
    try {
      const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const field = (name: string) =>
        Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
      return field('Private_Clean') + field('Private_Dirty');
    } catch {
      return 0;
    }
  };
  return round2(processTree(root).reduce((sum, pid) => sum + privateKb(pid), 0) / 1024);
}

export function sampleMemory(pids: ResourcePids): MemoryUse {
  return {
    runtimeRssMb: round2(process.memoryUsage.rss() / 2 ** 20),
    kinesisRssMb: pids.kinesis ? rssMb(pids.kinesis) : 0,
    postgresPssMb: pids.postgres ? treePssMb(pids.postgres) : 0,
  };
}

/** Samples memory every second; `peak()` is the largest value of each figure seen. */
export function watchMemory(pids: ResourcePids, everyMs = 1_000) {
  let peak = sampleMemory(pids);
  const timer = setInterval(() => {
    const now = sampleMemory(pids);
    peak = {
      runtimeRssMb: Math.max(peak.runtimeRssMb, now.runtimeRssMb),
      kinesisRssMb: Math.max(peak.kinesisRssMb, now.kinesisRssMb),
      postgresPssMb: Math.max(peak.postgresPssMb, now.postgresPssMb),
    };
  }, everyMs);
  timer.unref();
  return {
    peak: () => peak,
    stop: () => clearInterval(timer),
  };
}

/** The machine a run was measured on, with its load average before and after. */
export interface MachineRecord {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  platform: string;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
}

/** `before` is machineInfo() taken when the run started; the load average after is read now. */
export function machineRecord(before: ReturnType<typeof machineInfo>): MachineRecord {
  return {
    cpus: before.cpus,
    cpuModel: before.cpuModel,
    memoryGb: before.memoryGb,
    node: before.node,
    platform: before.platform,
    loadAverageBefore: before.loadAverage,
    loadAverageAfter: machineInfo().loadAverage,
  };
}

export function machineInfo() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: round2(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map(round2),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
