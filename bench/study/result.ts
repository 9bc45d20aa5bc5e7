/** The study's result: one entry per setting, the figures people compare, and its renderings. */
import { renderTable } from '../../local/shared/text-table.ts';
import type { CpuUse, MachineRecord } from '../resources.ts';
import { percentiles, round } from '../stats.ts';
import type { AwsPrices } from './aws-prices.ts';
import { billedDurationMs, type SettingCost, settingCost } from './cost.ts';
import type { StudyOptions } from './options.ts';
import type { ORIGINAL_STUDY } from './reference.ts';
import { type SettingMeasurement, THROUGHPUT_BUCKET_SECONDS } from './setting.ts';
import type { SettingSpec } from './sweep.ts';

export interface StudySetting {
  id: string;
  consumer: SettingSpec['consumer'];
  mode: SettingSpec['mode'];
  batchingWindowSeconds: number;
  batchSize: number;
  load: 'original' | 'rate';
  offeredPerSecond: number;
  loadSeconds: number;
  sent: number;
  records: number;
  /** records / sent. */
  completeness: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  meanMs: number | null;
  /** Rows written by the deadline (load end + window + 3 s) per second of load. */
  recordsPerSecond: number;
  invocationsPer1000: number;
  statementsPer1000: number;
  /** Mean billed duration of one invocation, ms. */
  billedMsPerInvocation: number;
  memoryMb: number;
  /** What the setting costs on AWS per million events (Lambda, and enhanced fan-out's data). */
  costPerMillionUsd: number;
  /** Everything per million events at this offered load (shards, database, PUT units included). */
  allInCostPerMillionUsd: number;
  cost: SettingCost;
  coldStarts: number;
  errors: number;
  /** CPU cores busy on average while the setting ran (1 = one core), per process group. */
  cpu: CpuUse;
  loadAverage1m: number;
  partsMeanMs: SettingMeasurement['partsMeanMs'];
  partsP50Ms: SettingMeasurement['partsP50Ms'];
  throughput: { bucketSeconds: number; perBucket: number[] };
  latencySamplesMs: number[];
}

export interface StudyResult {
  version: 1;
  kind: 'pricestream-study';
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  options: Omit<StudyOptions, 'help' | 'json'>;
  machine: MachineRecord;
  /** Bytes of one price event on the stream (for PUT units and enhanced fan-out data). */
  bytesPerRecord: number;
  prices: AwsPrices;
  reference: typeof ORIGINAL_STUDY;
  settings: StudySetting[];
  warnings: string[];
}

export function summarize(
  spec: SettingSpec,
  m: SettingMeasurement,
  bytesPerRecord: number,
  prices: AwsPrices,
): StudySetting {
  const stats = percentiles(m.latencySamplesMs);
  const per1000 = (n: number) => (m.records > 0 ? round((n / m.records) * 1000, 2) : 0);
  const billedMs = m.invocationDurationsMs.reduce(
    (sum, ms) => sum + billedDurationMs(ms, prices.lambda.billingGranularityMs),
    0,
  );
  const cost = settingCost(
    { records: Math.max(1, m.records), invocations: m.invocations, billedMs, memoryMb: m.memoryMb },
    { shards: m.shards, enhancedFanOut: spec.mode === 'efo', bytesPerRecord },
    spec.offeredPerSecond,
    prices,
  );
  const mean =
    m.latencySamplesMs.length > 0
      ? round(m.latencySamplesMs.reduce((a, b) => a + b, 0) / m.latencySamplesMs.length)
      : null;
  return {
    id: spec.id,
    consumer: spec.consumer,
    mode: spec.mode,
    batchingWindowSeconds: spec.batchingWindowSeconds,
    batchSize: spec.batchSize,
    load: spec.load === 'original' ? 'original' : 'rate',
    offeredPerSecond: spec.offeredPerSecond,
    loadSeconds: spec.loadSeconds,
    sent: m.sent,
    records: m.records,
    completeness: m.sent > 0 ? round(m.records / m.sent, 4) : 0,
    p50Ms: stats?.p50 ?? null,
    p95Ms: stats?.p95 ?? null,
    p99Ms: stats?.p99 ?? null,
    maxMs: stats?.max ?? null,
    meanMs: mean,
    recordsPerSecond: round(
      m.byDeadline / Math.max(1, (m.loadEndedAt - m.loadStartedAt) / 1000),
      2,
    ),
    invocationsPer1000: per1000(m.invocations),
    statementsPer1000: per1000(m.statements),
    billedMsPerInvocation: m.invocations > 0 ? round(billedMs / m.invocations, 2) : 0,
    memoryMb: m.memoryMb,
    costPerMillionUsd: round(cost.perMillionUsd, 4),
    allInCostPerMillionUsd: round(cost.allInPerMillionUsd, 2),
    cost,
    coldStarts: m.coldStarts,
    errors: m.errors,
    cpu: m.cpu,
    loadAverage1m: m.loadAverage1m,
    partsMeanMs: m.partsMeanMs,
    partsP50Ms: m.partsP50Ms,
    throughput: { bucketSeconds: THROUGHPUT_BUCKET_SECONDS, perBucket: m.perBucket },
    latencySamplesMs: m.latencySamplesMs,
  };
}

const ms = (v: number | null) =>
  v === null ? '—' : v >= 10_000 ? `${round(v / 1000, 1)} s` : `${Math.round(v)} ms`;
const usd = (v: number) => `$${v < 1 ? v.toFixed(4) : v.toFixed(2)}`;

/** The columns of the README table and the terminal output. */
export function tableRows(result: StudyResult): { headers: string[]; rows: string[][] } {
  const headers = [
    'setting',
    'offered',
    'p50',
    'p95',
    'records/s',
    'invocations /1000',
    'statements /1000',
    'cost /M events',
    'all-in /M events',
    'CPU',
  ];
  const rows = result.settings.map((s) => [
    s.consumer === 'realtime'
      ? `realtime ${s.mode === 'efo' ? 'enhanced fan-out' : 'standard'}`
      : `batch window ${s.batchingWindowSeconds} s, size ${s.batchSize}`,
    s.load === 'original'
      ? `original (${round(s.offeredPerSecond, 2)}/s)`
      : `${s.offeredPerSecond}/s`,
    ms(s.p50Ms),
    ms(s.p95Ms),
    String(s.recordsPerSecond),
    String(s.invocationsPer1000),
    String(s.statementsPer1000),
    usd(s.costPerMillionUsd),
    usd(s.allInCostPerMillionUsd),
    String(round(s.cpu.runtime + s.cpu.kinesis + s.cpu.postgres, 2)),
  ]);
  return { headers, rows };
}

export function renderText(result: StudyResult): string {
  const { headers, rows } = tableRows(result);
  const m = result.machine;
  return [
    `pricestream study — ${result.startedAt} — ${result.settings.length} settings in ${Math.round(result.durationSeconds)} s — ${m.cpus} CPUs, load ${m.loadAverageBefore.join(' ')} → ${m.loadAverageAfter.join(' ')}`,
    '',
    ...renderTable(
      headers.map((header, i) => ({ header, align: i < 2 ? 'left' : 'right' })),
      rows,
      { indent: '  ' },
    ),
    '',
    `  Cost: AWS ${result.prices.region} prices read ${result.prices.readOn} (bench/study/aws-prices.ts). "cost /M events" is what the setting changes`,
    '  (Lambda requests and GB-seconds at the measured duration, enhanced fan-out data); "all-in" adds shards, PUT units and',
    '  the database at the offered load. CPU: cores busy (runtime + kinesis-local + PostgreSQL).',
    ...result.warnings.map((w) => `  ! ${w}`),
  ].join('\n');
}

export function renderMarkdownTable(result: StudyResult): string {
  const { headers, rows } = tableRows(result);
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}
