/**
 * One mode of the benchmark: the local runtime on one synthesized stack,
 * fed by the load generator instead of fetch-prices, through the phases:
 *
 *   warm-up → (floors) → original load → high-load steps → backlog drain
 *
 * Phases follow each other without waiting for the batched consumer's window
 * (its rows are found by trade id later); each waits only until the
 * per-record consumer has caught up, so its CPU figures are its own.
 */
import { readFileSync } from 'node:fs';
import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import pg from 'pg';
import { encodePriceEvent } from '../lambdas/shared/price-event.ts';
import type { ConsumerName } from '../lambdas/shared/silver-store.ts';
import { SimulatedMarket } from '../lambdas/shared/sources/sim.ts';
import { toPriceEvent } from '../lambdas/shared/tick.ts';
import { createRuntimeKinesisClient } from '../local/kinesis/kinesis-client.ts';
import { toKinesisEvent } from '../local/kinesis/kinesis-event.ts';
import {
  type LocalRuntime,
  type LocalRuntimeOptions,
  startLocalRuntime,
} from '../local/runtime.ts';
import { startServices } from '../local/services/local-services.ts';
import type { BenchAgent } from './agent-client.ts';
import type { KinesisFloor, PostgresFloor, ReaderFloor } from './floors.ts';
import type { LoadResult, LoadShape } from './load.ts';
import {
  CONSUMERS,
  type ConsumerPhase,
  phaseStats,
  type TradeIds,
  waitForRows,
} from './measure.ts';
import type { Mode } from './options.ts';
import {
  type CpuUse,
  cpuBetween,
  type MemoryUse,
  type ResourcePids,
  sampleCpu,
  watchMemory,
} from './resources.ts';
import { round } from './stats.ts';

const DRAIN_SQL = readFileSync(new URL('./sql/drain.sql', import.meta.url), 'utf8');
const BEHIND_SQL = readFileSync(new URL('./sql/written.sql', import.meta.url), 'utf8');

/** Share of a step's records written by its deadline for the consumer to count as keeping up. */
export const KEEP_UP_SHARE = 0.95;
/** Latency a consumer is allowed beyond its batching window when judged as keeping up, ms. */
const KEEP_UP_SLACK_MS = 2_000;

export interface ModeSettings {
  mode: Mode;
  cdkOut: string;
  dataDir: string;
  drainDataDir: string;
  postgresPort: number;
  kinesisPort: number;
  durationSeconds: number;
  stepSeconds: number;
  rates: number[];
  drainRecords: number;
  /** Measure the floors in this mode, before its phases. */
  floors: { samples: number; readerRecords: number } | undefined;
  log: (line: string) => void;
}

export interface PhaseResult {
  name: string;
  shape: LoadShape;
  /** Records/s asked for (original: symbols per interval). */
  targetPerSecond: number;
  load: LoadResult;
  /** Whether the generator kept the rate (below 90 %: the producer side is the limit). */
  producerBound: boolean;
  cpu: CpuUse;
  consumers: Record<ConsumerName, ConsumerPhase & { keptUp: boolean; deadlineMs: number }>;
}

export interface DrainResult {
  records: number;
  /**
   * Records/s each consumer drained a preloaded backlog at, alone, from its
   * mapping's start to its last write. The backlog is whole batches on every shard.
   */
  perSecond: Record<ConsumerName, number | null>;
  /** CPU while each consumer drained. */
  cpu: Record<ConsumerName, CpuUse>;
}

export interface ModeResult {
  mode: Mode;
  /** How the realtime mapping read: polling every second, polling without the idle second, or a subscription. */
  realtimeRead: string;
  batchWindowSeconds: number;
  phases: PhaseResult[];
  /** The highest step rate each consumer kept up with (null: not even the first). */
  sustainedPerSecond: Record<ConsumerName, number | null>;
  /** True when the last step's rate was not reached by the producer: the consumers may do more. */
  sustainedLimitedByProducer: boolean;
  drain: DrainResult | undefined;
  floors: Floors | undefined;
  memoryPeak: MemoryUse;
  warnings: string[];
}

export interface Floors {
  kinesis: KinesisFloor;
  reader: ReaderFloor;
  postgres: PostgresFloor;
}

/** The runtime as the benchmark runs it: its own ports and data, no schedules (no fetch-prices, no rollups). */
function runtimeOptions(settings: ModeSettings, warnings: string[]): LocalRuntimeOptions {
  return {
    cdkOut: settings.cdkOut,
    synth: false,
    dataDir: settings.dataDir,
    postgresPort: settings.postgresPort,
    kinesisPort: settings.kinesisPort,
    env: {},
    schedules: false,
    enhancedFanOut: settings.mode === 'efo-subscribe' ? 'subscribe' : 'poll',
    listeners: {
      notice: (notice) => {
        if (notice.level === 'info') return;
        const line = `${notice.level} ${notice.source}: ${notice.message}`;
        warnings.push(line);
        settings.log(`  ! ${line}`);
      },
    },
  };
}

export async function runMode(settings: ModeSettings, agent: BenchAgent): Promise<ModeResult> {
  const warnings: string[] = [];
  const { log } = settings;
  log(`[${settings.mode}] starting the local runtime`);
  const runtime = await startLocalRuntime(runtimeOptions(settings, warnings));
  const pool = new pg.Pool({ connectionString: runtime.databaseUrl, max: 2 });
  const pids: ResourcePids = {
    kinesis: runtime.pids.kinesis,
    postgres: runtime.pids.postgres,
    generator: agent.pid,
  };
  const memory = watchMemory(pids);
  try {
    const stack = describeStack(runtime);
    const realtimeRead = describeRealtimeRead(runtime, settings.mode);
    const deadlineMs: Record<ConsumerName, number> = {
      realtime: 1_000 + KEEP_UP_SLACK_MS,
      batch: stack.batchWindowSeconds * 1000 + 1_000 + KEEP_UP_SLACK_MS,
    };
    let nextTradeId = 1;
    const ids = (count: number): TradeIds => {
      const first = nextTradeId;
      nextTradeId += count;
      return { first, last: first + count - 1 };
    };

    await warmUp(runtime, pool, stack, ids(stack.shardCount));
    // First, on servers that hold almost nothing yet: kinesis-local gets slower
    // as its streams fill up (PutRecords, and persisting every second).
    const floors = await measureFloors(settings, agent, runtime, stack);

    const runs: Array<{
      name: string;
      shape: LoadShape;
      target: number;
      load: LoadResult;
      cpu: CpuUse;
    }> = [];
    const phase = async (name: string, shape: LoadShape, durationMs: number, target: number) => {
      const before = sampleCpu(pids);
      const load = await agent.load(runtime.kinesisEndpoint, {
        streamName: stack.streamName,
        symbols: stack.symbols,
        shape,
        durationMs,
        firstTradeId: nextTradeId,
      });
      nextTradeId = load.lastTradeId + 1;
      const caughtUp = await waitForRows(
        pool,
        { first: load.firstTradeId, last: load.lastTradeId },
        load.sent,
        deadlineMs.realtime,
        ['realtime'],
      );
      const cpu = cpuBetween(before, sampleCpu(pids));
      runs.push({ name, shape, target, load, cpu });
      log(
        `[${settings.mode}] ${name}: ${load.sent} records, ${round(load.achievedPerSecond)}/s` +
          `${caughtUp ? '' : ' (realtime consumer behind)'}`,
      );
      return { load, caughtUp };
    };

    log(
      `[${settings.mode}] original load: ${stack.symbols.length} symbols every 10 s for ${settings.durationSeconds} s`,
    );
    await phase(
      'original',
      { kind: 'original', intervalMs: 10_000 },
      settings.durationSeconds * 1000,
      stack.symbols.length / 10,
    );
    for (const rate of settings.rates) {
      const { load, caughtUp } = await phase(
        `${rate}/s`,
        { kind: 'rate', recordsPerSecond: rate },
        settings.stepSeconds * 1000,
        rate,
      );
      if (load.achievedPerSecond < 0.9 * rate) {
        log(
          `[${settings.mode}] the producer reached ${round(load.achievedPerSecond)}/s of ${rate}/s: stepping ends`,
        );
        break;
      }
      if (!caughtUp && (await behindByHalf(pool, load))) {
        log(`[${settings.mode}] the realtime consumer is far behind: stepping ends`);
        break;
      }
    }

    const all: TradeIds = { first: 1, last: nextTradeId - 1 };
    const sent = runs.reduce((sum, run) => sum + run.load.sent, 0) + stack.shardCount;
    log(
      `[${settings.mode}] waiting for the batched consumer (window ${stack.batchWindowSeconds} s)`,
    );
    const waiting = waitForRows(pool, all, sent, deadlineMs.batch + 180_000);
    if (!(await waiting))
      warnings.push('not every record was written before the benchmark moved on');

    const phases: PhaseResult[] = [];
    for (const run of runs) {
      const stats = await phaseStats(
        pool,
        { first: run.load.firstTradeId, last: run.load.lastTradeId },
        {
          realtime: new Date(run.load.endedAt + deadlineMs.realtime),
          batch: new Date(run.load.endedAt + deadlineMs.batch),
        },
      );
      const consumers = {} as PhaseResult['consumers'];
      for (const consumer of CONSUMERS) {
        const s = stats[consumer];
        consumers[consumer] = {
          ...s,
          keptUp: run.load.sent > 0 && s.byDeadline >= KEEP_UP_SHARE * run.load.sent,
          deadlineMs: deadlineMs[consumer],
        };
      }
      phases.push({
        name: run.name,
        shape: run.shape,
        targetPerSecond: run.target,
        load: run.load,
        producerBound: run.shape.kind === 'rate' && run.load.achievedPerSecond < 0.9 * run.target,
        cpu: run.cpu,
        consumers,
      });
    }

    const memoryPeak = memory.peak();
    memory.stop();
    await pool.end();
    await runtime.stop();

    const drain =
      settings.drainRecords > 0 ? await measureDrain(settings, agent, stack, warnings) : undefined;
    return {
      mode: settings.mode,
      realtimeRead,
      batchWindowSeconds: stack.batchWindowSeconds,
      phases,
      sustainedPerSecond: sustained(phases),
      sustainedLimitedByProducer: phases.at(-1)?.producerBound ?? false,
      drain,
      floors,
      memoryPeak,
      warnings,
    };
  } finally {
    memory.stop();
    await pool.end().catch(() => {});
    await runtime.stop();
  }
}

async function measureFloors(
  settings: ModeSettings,
  agent: BenchAgent,
  runtime: LocalRuntime,
  stack: StackFacts,
): Promise<Floors | undefined> {
  if (!settings.floors) return undefined;
  settings.log(`[${settings.mode}] floors: Kinesis put→get, PostgreSQL insert, bare reader`);
  return {
    kinesis: await agent.kinesisFloor(runtime.kinesisEndpoint, settings.floors.samples, 50),
    postgres: await agent.postgresFloor(runtime.databaseUrl, settings.floors.samples),
    reader: await agent.readerFloor(runtime.kinesisEndpoint, {
      records: settings.floors.readerRecords,
      shards: stack.shardCount,
      symbols: stack.symbols,
    }),
  };
}

export interface StackFacts {
  streamName: string;
  shardCount: number;
  symbols: string[];
  batchWindowSeconds: number;
  batchSize: number;
}

export function describeStack(runtime: LocalRuntime): StackFacts {
  const stream = runtime.streams[0];
  if (!stream) throw new Error('the stack has no stream');
  const fetch = runtime.functions.find((fn) => fn.name === 'FetchPrices');
  const batch = runtime.model.mappings.find((mapping) =>
    mapping.functionLogicalId.startsWith('BatchConsumer'),
  );
  return {
    streamName: stream.name,
    shardCount: stream.shardCount,
    symbols: (fetch?.environment.SYMBOLS ?? 'BTC-USD,ETH-USD,SOL-USD,ADA-USD,DOGE-USD').split(','),
    batchWindowSeconds: batch?.maximumBatchingWindowSeconds ?? 0,
    batchSize: batch?.batchSize ?? 1,
  };
}

function describeRealtimeRead(runtime: LocalRuntime, mode: Mode): string {
  const mapping = runtime.model.mappings.find((m) =>
    m.functionLogicalId.startsWith('RealtimeConsumer'),
  );
  if (!mapping?.consumer) return 'GetRecords, 1 s idle interval (standard)';
  return mode === 'efo-subscribe'
    ? 'SubscribeToShard (enhanced fan-out)'
    : 'GetRecords, 20 ms idle interval (enhanced fan-out, polled locally)';
}

/**
 * Starts one execution environment per shard for each consumer (as many as
 * run at once) with an invocation of one record, so cold starts stay out of
 * the figures. The rows it writes have trade ids below the phases'.
 */
export async function warmUp(
  runtime: LocalRuntime,
  pool: pg.Pool,
  stack: StackFacts,
  ids: TradeIds,
): Promise<void> {
  const market = new SimulatedMarket(1);
  const events = Array.from({ length: stack.shardCount }, (_, shard) => {
    const symbol = stack.symbols[shard % stack.symbols.length] as string;
    const tradeId = ids.first + shard;
    const price = toPriceEvent('sim', { ...market.quote(symbol, new Date()), tradeId });
    return toKinesisEvent(
      [
        {
          shardId: `shardId-${String(shard).padStart(12, '0')}`,
          sequenceNumber: String(tradeId),
          partitionKey: symbol,
          data: encodePriceEvent(price),
          approximateArrivalTimestamp: new Date(),
        },
      ],
      {
        eventSourceArn: runtime.model.mappings[0]?.eventSourceArn ?? '',
        awsRegion: runtime.region,
        invokeIdentityArn: `arn:aws:iam::${runtime.account}:role/bench`,
      },
    );
  });
  // Both consumers get the same events: one row each per trade id.
  await Promise.all(
    ['RealtimeConsumer', 'BatchConsumer'].flatMap((consumer) =>
      events.map((event) => runtime.invoke(consumer, event)),
    ),
  );
  await waitForRows(pool, ids, stack.shardCount, 5_000);
}

/** Whether less than half of a step's records were written when the realtime deadline passed. */
async function behindByHalf(pool: pg.Pool, load: LoadResult): Promise<boolean> {
  const { rows } = await pool.query<{ consumer: ConsumerName; n: number }>(BEHIND_SQL, [
    load.firstTradeId,
    load.lastTradeId,
  ]);
  return (rows.find((r) => r.consumer === 'realtime')?.n ?? 0) < load.sent / 2;
}

function sustained(phases: PhaseResult[]): Record<ConsumerName, number | null> {
  const result = { realtime: null, batch: null } as Record<ConsumerName, number | null>;
  for (const consumer of CONSUMERS) {
    for (const phase of phases) {
      if (phase.shape.kind !== 'rate') continue;
      if (!phase.consumers[consumer].keptUp) break;
      result[consumer] = round(phase.load.achievedPerSecond);
    }
  }
  return result;
}

/**
 * The backlog drain, once per consumer: records put on the stream before the
 * consumer's mapping starts, then read from TRIM_HORIZON as fast as it goes,
 * with the other mapping off so the two do not share the machine. The
 * servers are started here (the same way the runtime starts them) so the
 * stream can be filled before the mapping exists.
 */
async function measureDrain(
  settings: ModeSettings,
  agent: BenchAgent,
  stack: StackFacts,
  warnings: string[],
): Promise<DrainResult> {
  // Whole batches on every shard (each symbol's records land on one shard),
  // so the drain never waits for a batching window.
  const unit = stack.symbols.length * stack.batchSize;
  const records = Math.ceil(settings.drainRecords / unit) * unit;
  const perSecond = { realtime: null, batch: null } as DrainResult['perSecond'];
  const cpu = {} as DrainResult['cpu'];
  for (const consumer of CONSUMERS) {
    const result = await drainOne(settings, agent, stack, warnings, consumer, records);
    perSecond[consumer] = result.perSecond;
    cpu[consumer] = result.cpu;
  }
  return { records, perSecond, cpu };
}

async function drainOne(
  settings: ModeSettings,
  agent: BenchAgent,
  stack: StackFacts,
  warnings: string[],
  consumer: ConsumerName,
  records: number,
): Promise<{ perSecond: number | null; cpu: CpuUse }> {
  const { log } = settings;
  const dataDir = `${settings.drainDataDir}-${consumer}`;
  log(`[${settings.mode}] backlog drain, ${consumer}: preloading ${records} records`);
  const services = await startServices({
    databaseUrl: undefined,
    kinesisEndpoint: undefined,
    dataDir,
    postgresPort: settings.postgresPort,
    kinesisPort: settings.kinesisPort,
    database: 'pricestream',
  });
  let runtime: LocalRuntime | undefined;
  let pool: pg.Pool | undefined;
  try {
    const kinesis = createRuntimeKinesisClient(services.kinesisEndpoint, 'us-east-1');
    await kinesis.send(
      new CreateStreamCommand({ StreamName: stack.streamName, ShardCount: stack.shardCount }),
    );
    for (;;) {
      const summary = await kinesis.send(
        new DescribeStreamSummaryCommand({ StreamName: stack.streamName }),
      );
      if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    kinesis.destroy();
    const load = await agent.load(services.kinesisEndpoint, {
      streamName: stack.streamName,
      symbols: stack.symbols,
      shape: { kind: 'burst', records },
      durationMs: 0,
      firstTradeId: 1,
    });
    const pids: ResourcePids = {
      kinesis: services.kinesisPid,
      postgres: services.postgresPid,
      generator: agent.pid,
    };
    const prefix = consumer === 'realtime' ? 'RealtimeConsumer' : 'BatchConsumer';
    runtime = await startLocalRuntime({
      ...runtimeOptions({ ...settings, dataDir }, warnings),
      databaseUrl: services.databaseUrl,
      kinesisEndpoint: services.kinesisEndpoint,
      eventSourceMappings: (mapping) => mapping.functionLogicalId.startsWith(prefix),
    });
    const startedAt = new Date();
    const before = sampleCpu(pids);
    pool = new pg.Pool({ connectionString: runtime.databaseUrl, max: 2 });
    const ids = { first: load.firstTradeId, last: load.lastTradeId };
    await waitForRows(pool, ids, load.sent, Math.max(120_000, load.sent * 20), [consumer]);
    const cpu = cpuBetween(before, sampleCpu(pids));
    const { rows } = await pool.query<{ consumer: ConsumerName; records: number; seconds: number }>(
      DRAIN_SQL,
      [ids.first, ids.last, startedAt],
    );
    const row = rows.find((r) => r.consumer === consumer);
    const perSecond = row && row.seconds > 0 ? round(row.records / row.seconds) : null;
    log(`[${settings.mode}] backlog drain, ${consumer}: ${perSecond ?? '—'}/s`);
    return { perSecond, cpu };
  } finally {
    await pool?.end().catch(() => {});
    await runtime?.stop();
    await services.stop();
  }
}
