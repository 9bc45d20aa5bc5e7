/**
 * One soak run: the local runtime as `npm start` runs it (its own PostgreSQL
 * and kinesis-local, the simulated market, the retention shortened), a
 * producer of numbered events at a steady rate, a row of figures every
 * interval, optionally a clean restart halfway; then the drain, the
 * redrive and the count.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import pg from 'pg';
import { priceRecord } from '../../bench/kinesis-local.ts';
import { rssMb, treePrivateMb, treePssMb } from '../../bench/resources.ts';
import { createKinesisClient } from '../../lambdas/shared/kinesis-client.ts';
import { assemblyFor } from '../../local/assembly/assembly-cache.ts';
import { listShards } from '../../local/kinesis/streams.ts';
import { PROJECT_DIR } from '../../local/runtime.ts';
import { CONSUMERS, type Consumer, countConsumers } from '../chaos/count.ts';
import { CHAOS_PREFIX, produce } from '../chaos/producer.ts';
import type { SoakOptions } from './options.ts';
import { type Growth, growth, median, type SoakRow, windows } from './verdict.ts';

const STREAM = 'prices';
const LATENCY_SQL = new URL('./latency.sql', import.meta.url);

export interface SoakConsumerReport {
  consumer: Consumer;
  produced: number;
  stored: number;
  lost: number;
  doubled: number;
  deadLetteredRecords: number;
  /** Of those, records that aged out of the retention before they were processed. */
  agedOutRecords: number;
  redrivenRecords: number;
  drainSeconds: number | null;
}

export interface SoakReport {
  version: 1;
  startedAt: string;
  seconds: number;
  options: Omit<SoakOptions, 'help' | 'json' | 'keep' | 'dir'>;
  rows: SoakRow[];
  /** Medians of the reference window (the second retention period) and the last one. */
  reference: Partial<Record<keyof SoakRow, number | null>>;
  final: Partial<Record<keyof SoakRow, number | null>>;
  growth: Growth[];
  restart: { atSeconds: number; stopSeconds: number; startSeconds: number } | undefined;
  /** The first start: from spawning `npm start` to its summary. */
  startSeconds: number;
  producer: { acknowledged: number; failedCalls: number };
  consumers: SoakConsumerReport[];
  ok: boolean;
  problems: string[];
  workDir: string | undefined;
}

export async function runSoak(
  options: SoakOptions,
  log: (line: string) => void,
): Promise<SoakReport> {
  const started = Date.now();
  const say = (line: string) =>
    log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  const workDir = options.dir
    ? path.resolve(options.dir)
    : await mkdtemp(path.join(os.tmpdir(), 'pricestream-soak-'));
  await mkdir(workDir, { recursive: true });
  await chmod(workDir, 0o755); // as root, PostgreSQL runs as the postgres user
  const cleanups: Array<() => Promise<void>> = [];
  try {
    // The stack as npm start synthesizes it; the runtime is started with --source sim.
    say('synthesizing the stack');
    const cdkOut = await assemblyFor({
      projectDir: PROJECT_DIR,
      outDir: path.join(workDir, 'cdk.out'),
      cacheDir: process.env.PRICESTREAM_ASSEMBLY_CACHE,
    });
    const runtime = new SoakRuntime(workDir, cdkOut, options, say);
    cleanups.push(() => runtime.stop());
    const startSeconds = await runtime.start();
    say(`runtime up in ${startSeconds.toFixed(1)} s; producing ${options.rate} events/s`);

    const kinesis = createKinesisClient({
      endpoint: `http://127.0.0.1:${options.kinesisPort}`,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
      requestTimeoutMs: 30_000,
    });
    cleanups.push(async () => kinesis.destroy());
    const db = new pg.Pool({
      connectionString: `postgres://postgres:postgres@127.0.0.1:${options.postgresPort}/pricestream`,
      max: 2,
    });
    db.on('error', () => {});
    cleanups.push(() => db.end());

    const seconds = options.minutes * 60;
    const productionStarted = Date.now();
    let acknowledged = 0;
    const production = produce({
      kinesis,
      streamName: STREAM,
      total: Math.round(options.rate * seconds),
      poisonEvery: 0,
      rate: options.rate,
      seed: 1,
      onProgress: (n) => {
        acknowledged = n;
      },
    });

    let restart: SoakReport['restart'];
    const restarting = options.restart
      ? (async () => {
          await sleepUntil(productionStarted + (seconds / 2) * 1000);
          say('restart: stopping the runtime (Ctrl-C)');
          const stopSeconds = await runtime.stopOnly();
          const startSeconds = await runtime.start();
          restart = {
            atSeconds: Math.round((Date.now() - productionStarted) / 1000),
            stopSeconds,
            startSeconds,
          };
          say(
            `restart: stopped in ${stopSeconds.toFixed(1)} s, up again in ${startSeconds.toFixed(1)} s`,
          );
        })()
      : Promise.resolve();

    // A 5-entry put every 3 s; a row takes the median of its interval's.
    const puts: Array<{ at: number; ms: number }> = [];
    let probe = 0;
    const prober = (async () => {
      while (Date.now() < productionStarted + seconds * 1000) {
        const ms = await timePut(kinesis, probe++).catch(() => null);
        if (ms !== null) puts.push({ at: Date.now(), ms });
        await new Promise((resolve) => setTimeout(resolve, 3_000));
      }
    })();

    const rows: SoakRow[] = [];
    const sampler = (async () => {
      for (let n = 1; n * options.sampleSeconds <= seconds; n++) {
        const at = productionStarted + n * options.sampleSeconds * 1000;
        await sleepUntil(at);
        const row = await sampleRow({
          kinesis,
          db,
          workDir,
          from: new Date(at - options.sampleSeconds * 1000),
          to: new Date(at),
          at: n * options.sampleSeconds,
          produced: acknowledged,
          put5Ms: median(
            puts
              .filter((p) => p.at > at - options.sampleSeconds * 1000 && p.at <= at)
              .map((p) => p.ms),
          ),
        });
        rows.push(row);
        say(formatRow(row));
      }
    })();

    const produced = await production;
    const productionEnded = Date.now();
    await Promise.all([sampler, restarting, prober]);
    say(`production done: ${acknowledged} events acknowledged`);

    const drainSeconds = await drain(db, produced.valid, productionEnded, options, say, () =>
      runRedrive(cdkOut, db),
    );
    const counts = await countConsumers(db);
    const agedOut = await agedOutRecords(db);
    const consumers: SoakConsumerReport[] = CONSUMERS.map((consumer) => {
      const c = counts[consumer];
      return {
        consumer,
        produced: produced.valid.size,
        stored: [...c.storedIds].filter((id) => produced.valid.has(id)).length,
        lost: [...produced.valid].filter((id) => !c.storedIds.has(id)).length,
        doubled: c.rows - c.storedIds.size,
        deadLetteredRecords: c.deadLetteredRecords,
        agedOutRecords: agedOut[consumer],
        redrivenRecords: c.redrivenRecords,
        drainSeconds: drainSeconds[consumer],
      };
    });

    const retentionSeconds = options.retentionMinutes * 60;
    const found = growth(rows, retentionSeconds);
    const { reference, final } = windows(rows, retentionSeconds);
    const problems = [
      ...consumers.flatMap((c) => [
        ...(c.lost > 0 ? [`${c.consumer}: ${c.lost} events lost`] : []),
        ...(c.doubled > 0 ? [`${c.consumer}: ${c.doubled} events stored twice`] : []),
      ]),
      ...found.map(
        (g) =>
          `${g.label} grew: ${round(g.final)} in the last retention period, against ${round(g.reference)} in the second (limit ${round(g.limit)})`,
      ),
      ...(reference.length === 0 ? ['no row in the second retention period to compare with'] : []),
    ];
    const { help: _h, json: _j, keep: _k, dir: _d, ...recorded } = options;
    return {
      version: 1,
      startedAt: new Date(started).toISOString(),
      seconds: Math.round((Date.now() - started) / 1000),
      options: recorded,
      rows,
      reference: medians(reference),
      final: medians(final),
      growth: found,
      restart,
      startSeconds,
      producer: { acknowledged, failedCalls: produced.failedCalls },
      consumers,
      ok: problems.length === 0,
      problems,
      workDir: options.keep || options.dir ? workDir : undefined,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    if (!options.keep && !options.dir) await rm(workDir, { recursive: true, force: true });
  }
}

const round = (value: number) => Math.round(value * 10) / 10;

function medians(rows: readonly SoakRow[]): SoakReport['reference'] {
  const keys = Object.keys(rows[0] ?? {}) as Array<keyof SoakRow>;
  return Object.fromEntries(
    keys
      .filter((key) => key !== 'at' && key !== 'produced')
      .map((key) => [
        key,
        median(rows.flatMap((row) => (row[key] === null ? [] : [row[key] as number]))),
      ]),
  );
}

const sleepUntil = (at: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

export function formatRow(row: SoakRow): string {
  const ms = (value: number | null) => (value === null ? '-' : `${Math.round(value)}`);
  return (
    `${row.streamRecords ?? '-'} records held, save ${row.saveMb ?? '-'} MB, put ${ms(row.put5Ms)} ms, ` +
    `realtime ${ms(row.realtimeP50Ms)}/${ms(row.realtimeP95Ms)} ms, batch ${ms(row.batchP50Ms)}/${ms(row.batchP95Ms)} ms, ` +
    `RSS kinesis-local ${ms(row.kinesisRssMb)} MB, runtime ${ms(row.runtimeRssMb)} MB, PostgreSQL private ${ms(row.postgresMb)} MB (PSS ${ms(row.postgresPssMb)} MB)`
  );
}

async function sampleRow(deps: {
  kinesis: KinesisClient;
  db: pg.Pool;
  workDir: string;
  from: Date;
  to: Date;
  at: number;
  produced: number;
  put5Ms: number | null;
}): Promise<SoakRow> {
  const pids = await servicePids(path.join(deps.workDir, 'data'));
  const [streamRecords, saveMb, latency] = await Promise.all([
    countStream(deps.kinesis).catch(() => null),
    stat(path.join(deps.workDir, 'data', 'kinesis', 'kinesis-data.json')).then(
      (file) => Math.round(file.size / 10_000) / 100,
      () => null,
    ),
    latencies(deps.db, deps.from, deps.to).catch(() => undefined),
  ]);
  const mb = (pid: number | undefined, read: (pid: number) => number) => {
    if (pid === undefined) return null;
    const value = read(pid);
    return value > 0 ? value : null;
  };
  return {
    at: deps.at,
    streamRecords,
    saveMb,
    put5Ms: deps.put5Ms,
    realtimeP50Ms: latency?.realtime?.p50 ?? null,
    realtimeP95Ms: latency?.realtime?.p95 ?? null,
    batchP50Ms: latency?.batch?.p50 ?? null,
    batchP95Ms: latency?.batch?.p95 ?? null,
    kinesisRssMb: mb(pids.kinesis, rssMb),
    runtimeRssMb: mb(pids.runtime, rssMb),
    postgresMb: mb(pids.postgres, treePrivateMb),
    postgresPssMb: mb(pids.postgres, treePssMb),
    produced: deps.produced,
  };
}

/** The runtime and the servers it started, from its services record. */
async function servicePids(dataDir: string) {
  try {
    const record = JSON.parse(await readFile(path.join(dataDir, 'services.json'), 'utf8')) as {
      runtimePid: number;
      services: Array<{ name: string; pid: number }>;
    };
    return {
      runtime: record.runtimePid,
      kinesis: record.services.find((s) => s.name === 'kinesis-local')?.pid,
      postgres: record.services.find((s) => s.name === 'PostgreSQL')?.pid,
    };
  } catch {
    return { runtime: undefined, kinesis: undefined, postgres: undefined };
  }
}

/** Every record of every shard, read from TRIM_HORIZON. */
export async function countStream(kinesis: KinesisClient): Promise<number> {
  let total = 0;
  for (const shard of await listShards(kinesis, STREAM)) {
    let { ShardIterator: iterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: STREAM,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    for (let page = 0; iterator && page < 100; page++) {
      const result = await kinesis.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }),
      );
      const records = result.Records?.length ?? 0;
      total += records;
      if (records === 0) break;
      iterator = result.NextShardIterator;
    }
  }
  return total;
}

/** One 5-entry PutRecords (what fetch-prices sends each tick), ms. */
async function timePut(kinesis: KinesisClient, n: number): Promise<number> {
  const t = performance.now();
  await kinesis.send(
    new PutRecordsCommand({
      StreamName: STREAM,
      Records: ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'DOGE-USD'].map((symbol) => ({
        PartitionKey: symbol,
        Data: priceRecord(symbol, n, Date.now()),
      })),
    }),
  );
  return performance.now() - t;
}

async function latencies(db: pg.Pool, from: Date, to: Date) {
  const sql = await readFile(LATENCY_SQL, 'utf8');
  const { rows } = await db.query<{ consumer: Consumer; p50: number; p95: number }>(sql, [
    from,
    to,
    `${CHAOS_PREFIX}%`,
  ]);
  return Object.fromEntries(
    rows.map((row) => [row.consumer, { p50: Number(row.p50), p95: Number(row.p95) }]),
  ) as Partial<Record<Consumer, { p50: number; p95: number }>>;
}

async function agedOutRecords(db: pg.Pool): Promise<Record<Consumer, number>> {
  const { rows } = await db.query<{ function_name: string; records: number }>(
    `SELECT function_name, sum(batch_size)::int AS records FROM local_runtime.dead_letters
     WHERE reason = 'RecordAgeExceeded' GROUP BY function_name`,
  );
  const of = (pattern: RegExp) =>
    rows.filter((row) => pattern.test(row.function_name)).reduce((n, row) => n + row.records, 0);
  return { realtime: of(/RealtimeConsumer/), batch: of(/BatchConsumer/) };
}

/** Waits until each consumer stored every produced event; redrives when nothing moves for 15 s. */
async function drain(
  db: pg.Pool,
  valid: ReadonlySet<string>,
  from: number,
  options: SoakOptions,
  say: (line: string) => void,
  redrive: () => Promise<void>,
): Promise<Record<Consumer, number | null>> {
  const done: Record<Consumer, number | null> = { realtime: null, batch: null };
  const deadline = Date.now() + Math.max(120, 3 * options.retentionMinutes * 60) * 1000;
  let progress = '';
  let movedAt = Date.now();
  while (Date.now() < deadline && CONSUMERS.some((c) => done[c] === null)) {
    const counts = await countConsumers(db).catch(() => undefined);
    if (counts) {
      for (const consumer of CONSUMERS) {
        const stored = counts[consumer].storedIds;
        if (done[consumer] === null && [...valid].every((id) => stored.has(id))) {
          done[consumer] = Math.round((Date.now() - from) / 100) / 10;
          say(`${consumer} drained after ${done[consumer]} s`);
        }
      }
      const now = CONSUMERS.map((c) => counts[c].storedIds.size).join();
      if (now !== progress) {
        progress = now;
        movedAt = Date.now();
      } else if (Date.now() - movedAt > 15_000) {
        say('nothing moved for 15 s: redriving the dead letters (npm run redrive)');
        await redrive();
        movedAt = Date.now();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return done;
}

async function runRedrive(cdkOut: string, db: pg.Pool): Promise<void> {
  const url = (db.options as { connectionString: string }).connectionString;
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/redrive.ts'], {
    cwd: PROJECT_DIR,
    env: { ...process.env, PRICESTREAM_CDK_OUT: cdkOut, DATABASE_URL: url },
    stdio: 'ignore',
  });
  await new Promise((resolve) => child.on('close', resolve));
}

/** The local runtime as `npm start` runs it, in a child process, with its own servers. */
class SoakRuntime {
  private child: ChildProcess | undefined;
  private readonly log: ReturnType<typeof createWriteStream>;

  constructor(
    private readonly workDir: string,
    private readonly cdkOut: string,
    private readonly options: SoakOptions,
    private readonly say: (line: string) => void,
  ) {
    this.log = createWriteStream(path.join(workDir, 'runtime.log'), { flags: 'a' });
  }

  /** Starts it; resolves with the seconds until it printed its summary. */
  async start(timeoutMs = 240_000): Promise<number> {
    const env: Record<string, string | undefined> = {
      ...process.env,
      PRICESTREAM_CDK_OUT: this.cdkOut,
      PRICESTREAM_DATA_DIR: path.join(this.workDir, 'data'),
      PRICESTREAM_PG_PORT: String(this.options.postgresPort),
      PRICESTREAM_KINESIS_PORT: String(this.options.kinesisPort),
      PRICESTREAM_DASHBOARD_PORT: String(this.options.dashboardPort),
      NO_COLOR: '1',
    };
    // Its own servers, whatever the shell points at.
    delete env.DATABASE_URL;
    delete env.AWS_ENDPOINT_URL_KINESIS;
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'local/main.ts',
        '--no-synth',
        '--source',
        'sim',
        '--retention-minutes',
        String(this.options.retentionMinutes),
      ],
      { cwd: PROJECT_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    let output = '';
    let up = false;
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        if (!up) output += text;
        if (output.includes('Press Ctrl-C to stop')) up = true;
        this.log.write(text);
      });
    }
    child.on('exit', (code, signal) => {
      if (this.child === child) this.say(`runtime exited by itself (${code ?? signal})`);
    });
    const deadline = Date.now() + timeoutMs;
    while (!up) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the runtime did not start:\n${output.slice(-2_000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return (performance.now() - started) / 1000;
  }

  /** Ctrl-C and the clean stop; resolves with the seconds it took. */
  async stopOnly(): Promise<number> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return 0;
    const started = performance.now();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    await exited;
    clearTimeout(timer);
    return (performance.now() - started) / 1000;
  }

  async stop(): Promise<void> {
    await this.stopOnly();
    await new Promise((resolve) => this.log.end(resolve));
  }
}
