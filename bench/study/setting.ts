/**
 * One setting of the study: the local runtime on the setting's synthesized
 * stack, with only its consumer's event source mapping, on the study's
 * servers and a fresh stream, fed by the benchmark's load generator.
 *
 *   start runtime → warm-up (bench) → load → wait for every row → read rows
 *   → stop runtime → delete the stream
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import {
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import pg from 'pg';
import { startLocalRuntime } from '../../local/runtime.ts';
import type { RunningServices } from '../../local/services/local-services.ts';
import type { InvocationReport } from '../../local/shared/runtime-events.ts';
import type { BenchAgent } from '../agent-client.ts';
import type { LoadShape } from '../load.ts';
import { waitForRows } from '../measure.ts';
import { describeStack, warmUp } from '../pipeline.ts';
import { type CpuUse, cpuBetween, sampleCpu } from '../resources.ts';
import { percentiles, round } from '../stats.ts';
import type { SettingSpec } from './sweep.ts';

const ROWS_SQL = readFileSync(new URL('../sql/study-rows.sql', import.meta.url), 'utf8');

/** Latency a consumer is allowed beyond its window before its rows count as late, ms (as bench). */
const SLACK_MS = 1_000 + 2_000;
/** Throughput is counted in buckets of this many seconds. */
export const THROUGHPUT_BUCKET_SECONDS = 10;

export interface SettingMeasurement {
  sent: number;
  /** Rows the consumer wrote of the events sent. */
  records: number;
  /** Rows written by the load's end plus window + 1 s poll + 2 s slack. */
  byDeadline: number;
  loadStartedAt: number;
  loadEndedAt: number;
  achievedPerSecond: number;
  /** End-to-end latency of every row, ms, in write order. */
  latencySamplesMs: number[];
  partsMeanMs: { put: number; wait: number; write: number };
  partsP50Ms: { put: number; wait: number; write: number };
  /** Rows written per THROUGHPUT_BUCKET_SECONDS from the load's start. */
  perBucket: number[];
  invocations: number;
  coldStarts: number;
  errors: number;
  /** Each invocation's duration as the local Lambda host measured it, ms (billing rounds it up). */
  invocationDurationsMs: number[];
  /** Distinct inserting transactions of the rows. */
  statements: number;
  memoryMb: number;
  shards: number;
  cpu: CpuUse;
  loadAverage1m: number;
  warnings: string[];
}

export interface SettingContext {
  spec: SettingSpec;
  cdkOut: string;
  dataDir: string;
  services: RunningServices;
  kinesis: KinesisClient;
  agent: BenchAgent;
  /** The first trade id this setting may use; trade ids are unique across the study. */
  firstTradeId: number;
  log: (line: string) => void;
}

const FUNCTION: Record<SettingSpec['consumer'], string> = {
  realtime: 'RealtimeConsumer',
  batch: 'BatchConsumer',
};

export async function runSetting(
  context: SettingContext,
): Promise<{ measurement: SettingMeasurement; nextTradeId: number }> {
  const { spec, services, log } = context;
  const warnings: string[] = [];
  const fn = FUNCTION[spec.consumer];
  const runtime = await startLocalRuntime({
    cdkOut: context.cdkOut,
    synth: false,
    dataDir: context.dataDir,
    databaseUrl: services.databaseUrl,
    kinesisEndpoint: services.kinesisEndpoint,
    env: {},
    schedules: false,
    eventSourceMappings: (mapping) => mapping.functionLogicalId.startsWith(fn),
    enhancedFanOut: 'poll',
    listeners: {
      notice: (notice) => {
        if (notice.level === 'info') return;
        const line = `${notice.level} ${notice.source}: ${notice.message}`;
        warnings.push(line);
        log(`  ! ${line}`);
      },
    },
  });
  const pool = new pg.Pool({ connectionString: runtime.databaseUrl, max: 2 });
  let streamName: string | undefined;
  try {
    const stack = describeStack(runtime);
    streamName = stack.streamName;
    if (stack.batchWindowSeconds !== spec.batchingWindowSeconds && spec.consumer === 'batch') {
      throw new Error(
        `${spec.id}: the assembly's window is ${stack.batchWindowSeconds} s, not ${spec.batchingWindowSeconds} s`,
      );
    }
    const memoryMb = runtime.model.functions.find((f) => f.displayName === fn)?.memoryMb ?? 0;
    let tradeId = context.firstTradeId;
    const warm = { first: tradeId, last: tradeId + stack.shardCount - 1 };
    tradeId = warm.last + 1;
    await warmUp(runtime, pool, stack, warm);

    // Counted from here: the warm-up's invocations are not the setting's.
    const invocations: InvocationReport[] = [];
    const unsubscribe = runtime.on('invocation', (report) => {
      if (report.function === fn) invocations.push(report);
    });
    const pids = {
      kinesis: services.kinesisPid,
      postgres: services.postgresPid,
      generator: context.agent.pid,
    };
    const shape: LoadShape =
      spec.load === 'original'
        ? { kind: 'original', intervalMs: 10_000 }
        : { kind: 'rate', recordsPerSecond: spec.load };
    const before = sampleCpu(pids);
    const load = await context.agent.load(runtime.kinesisEndpoint, {
      streamName: stack.streamName,
      symbols: stack.symbols,
      shape,
      durationMs: spec.loadSeconds * 1000,
      firstTradeId: tradeId,
    });
    const ids = { first: load.firstTradeId, last: load.lastTradeId };
    const allowedMs = spec.batchingWindowSeconds * 1000 + SLACK_MS;
    const complete = await waitForRows(pool, ids, load.sent, allowedMs + 60_000, [spec.consumer]);
    const cpu = cpuBetween(before, sampleCpu(pids));
    unsubscribe();
    if (!complete) warnings.push(`${spec.id}: not every record was written within the wait`);

    const { rows } = await pool.query<{
      latency_ms: number;
      put_ms: number;
      wait_ms: number;
      write_ms: number;
      processed_ms: number;
      xact: string;
    }>(ROWS_SQL, [ids.first, ids.last, spec.consumer]);
    const deadline = load.endedAt + allowedMs;
    const buckets = Math.ceil(
      (spec.loadSeconds * 1000 + allowedMs) / 1000 / THROUGHPUT_BUCKET_SECONDS,
    );
    const perBucket = Array.from({ length: buckets }, () => 0);
    for (const row of rows) {
      const bucket = Math.floor(
        (row.processed_ms - load.startedAt) / 1000 / THROUGHPUT_BUCKET_SECONDS,
      );
      if (bucket >= 0 && bucket < buckets) perBucket[bucket] = (perBucket[bucket] ?? 0) + 1;
    }
    const mean = (pick: (row: (typeof rows)[number]) => number) =>
      rows.length === 0 ? 0 : round(rows.reduce((sum, row) => sum + pick(row), 0) / rows.length, 2);
    const median = (pick: (row: (typeof rows)[number]) => number) =>
      percentiles(rows.map(pick))?.p50 ?? 0;
    const measurement: SettingMeasurement = {
      sent: load.sent,
      records: rows.length,
      byDeadline: rows.filter((row) => row.processed_ms <= deadline).length,
      loadStartedAt: load.startedAt,
      loadEndedAt: load.endedAt,
      achievedPerSecond: round(load.achievedPerSecond, 2),
      latencySamplesMs: rows.map((row) => round(row.latency_ms)),
      partsMeanMs: {
        put: mean((r) => r.put_ms),
        wait: mean((r) => r.wait_ms),
        write: mean((r) => r.write_ms),
      },
      partsP50Ms: {
        put: median((r) => r.put_ms),
        wait: median((r) => r.wait_ms),
        write: median((r) => r.write_ms),
      },
      perBucket,
      invocations: invocations.length,
      coldStarts: invocations.filter((i) => i.coldStart).length,
      errors: invocations.filter((i) => i.error).length,
      invocationDurationsMs: invocations.map((i) => round(i.durationMs, 3)),
      statements: new Set(rows.map((row) => row.xact)).size,
      memoryMb,
      shards: stack.shardCount,
      cpu,
      loadAverage1m: round(os.loadavg()[0] ?? 0, 2),
      warnings,
    };
    return { measurement, nextTradeId: load.lastTradeId + 1 };
  } finally {
    await pool.end().catch(() => {});
    await runtime.stop();
    if (streamName) await deleteStream(context.kinesis, streamName);
  }
}

/** The next setting starts on an empty stream; kinesis-local also slows down as streams fill. */
async function deleteStream(kinesis: KinesisClient, name: string): Promise<void> {
  try {
    await kinesis.send(
      new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }),
    );
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return;
    throw error;
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return;
      throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`stream ${name} still exists 30 s after DeleteStream`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
