/** The benchmark's report: the figures, the targets they are held against, and their renderings. */

import type { ConsumerName } from '../lambdas/shared/silver-store.ts';
import { renderTable } from '../local/shared/text-table.ts';
import { CONSUMERS } from './measure.ts';
import type { BenchOptions } from './options.ts';
import type { Floors, ModeResult, PhaseResult } from './pipeline.ts';
import type { CpuUse, MachineRecord } from './resources.ts';
import { round } from './stats.ts';

export interface Check {
  target: string;
  measured: string;
  ok: boolean | null;
  note?: string;
}

export interface BenchReport {
  version: 1;
  startedAt: string;
  finishedAt: string;
  options: Omit<BenchOptions, 'help'>;
  machine: MachineRecord;
  floors: Floors | undefined;
  modes: ModeResult[];
  checks: Check[];
}

const ms = (value: number | undefined | null) =>
  value === undefined || value === null ? '—' : `${round(value)} ms`;
const rate = (value: number | undefined | null) =>
  value === undefined || value === null ? '—' : `${round(value)}/s`;

function original(mode: ModeResult | undefined): PhaseResult | undefined {
  return mode?.phases.find((p) => p.name === 'original');
}

function highLoad(mode: ModeResult | undefined): PhaseResult | undefined {
  return mode?.phases.find((p) => p.shape.kind === 'rate');
}

/** The targets of the brief, held against what was measured; null: not measured in this run. */
export function checks(modes: ModeResult[], floors: Floors | undefined): Check[] {
  const byMode = (name: string) => modes.find((m) => m.mode === name);
  const out: Check[] = [];
  const latency = (mode: string, consumer: ConsumerName, p: 'p50' | 'p95', limit: number) => {
    const figure = original(byMode(mode))?.consumers[consumer].latencyMs?.[p];
    out.push({
      target: `${mode} ${consumer} ${p} < ${limit} ms (original load)`,
      measured: ms(figure),
      ok: figure === undefined ? null : figure < limit,
    });
  };
  latency('standard', 'realtime', 'p50', 600);
  latency('standard', 'realtime', 'p95', 1_100);
  latency('efo', 'realtime', 'p50', 30);
  latency('efo', 'realtime', 'p95', 80);

  for (const mode of modes) {
    for (const phase of [original(mode), highLoad(mode)]) {
      const max = phase?.consumers.batch.latencyMs?.max;
      if (!phase || max === undefined) continue;
      const limit = mode.batchWindowSeconds * 1000 + 1000 + 300;
      out.push({
        target: `${mode.mode} batch max ≤ window + 1 s poll + 300 ms = ${limit} ms (${phase.name})`,
        measured: ms(max),
        ok: max <= limit,
        note: 'the window starts when the poller first reads a record, up to one idle poll after it arrived',
      });
    }
  }

  const reader = floors?.reader.readPerSecond;
  for (const mode of modes) {
    const drained = mode.drain?.perSecond.batch;
    if (drained === undefined || drained === null || reader === undefined) continue;
    out.push({
      target: `${mode.mode} batch drain ≥ 90 % of the bare reader (${rate(reader)})`,
      measured: `${rate(drained)} (${round((drained / reader) * 100)} %)`,
      ok: drained >= 0.9 * reader,
    });
  }

  const floor =
    floors?.kinesis.putToGetMs && floors.postgres.insertMs
      ? floors.kinesis.putToGetMs.p50 + floors.postgres.insertMs.p50
      : undefined;
  for (const mode of modes.filter((m) => m.mode !== 'standard')) {
    const p50 = original(mode)?.consumers.realtime.latencyMs?.p50;
    if (p50 === undefined || floor === undefined) continue;
    out.push({
      target: `${mode.mode} realtime p50 ≤ 1.2 × floors (put→get + insert = ${ms(floor)})`,
      measured: `${ms(p50)} (${round(p50 / floor, 2)} ×)`,
      ok: p50 <= 1.2 * floor,
    });
  }
  return out;
}

function latencyRows(mode: ModeResult): string[][] {
  const rows: string[][] = [];
  for (const phase of mode.phases) {
    for (const consumer of CONSUMERS) {
      const c = phase.consumers[consumer];
      rows.push([
        phase.name,
        consumer,
        String(c.records),
        ms(c.latencyMs?.p50),
        ms(c.latencyMs?.p95),
        ms(c.latencyMs?.p99),
        ms(c.latencyMs?.max),
        ms(c.partsP50Ms?.put),
        ms(c.partsP50Ms?.wait),
        ms(c.partsP50Ms?.write),
      ]);
    }
  }
  return rows;
}

/** The mode's figures as multiples of the floors (latency) and shares of the bare reader (throughput). */
function againstFloors(mode: ModeResult, floors: Floors | undefined): string | undefined {
  const floor =
    floors?.kinesis.putToGetMs && floors.postgres.insertMs
      ? floors.kinesis.putToGetMs.p50 + floors.postgres.insertMs.p50
      : undefined;
  const reader = floors?.reader.readPerSecond;
  if (floor === undefined || reader === undefined) return undefined;
  const parts: string[] = [];
  for (const phase of [original(mode), highLoad(mode)]) {
    const p50 = phase?.consumers.realtime.latencyMs?.p50;
    if (phase && p50 !== undefined) {
      parts.push(`realtime p50 ${phase.name} ${round(p50 / floor, 2)} × the floors (${ms(floor)})`);
    }
  }
  for (const consumer of CONSUMERS) {
    const drained = mode.drain?.perSecond[consumer];
    if (drained !== undefined && drained !== null) {
      parts.push(`${consumer} drain ${round((drained / reader) * 100)} % of the bare reader`);
    }
  }
  return parts.length > 0 ? `Against the floors: ${parts.join('; ')}.` : undefined;
}

const LATENCY_COLUMNS = [
  'phase',
  'consumer',
  'rows',
  'p50',
  'p95',
  'p99',
  'max',
  'put p50',
  'wait p50',
  'write p50',
];

function stepRows(mode: ModeResult): string[][] {
  return mode.phases
    .filter((p) => p.shape.kind === 'rate')
    .map((p) => [
      rate(p.targetPerSecond),
      `${rate(p.load.achievedPerSecond)}${p.producerBound ? ' (producer-bound)' : ''}`,
      ...CONSUMERS.map((consumer) => {
        const c = p.consumers[consumer];
        const share = p.load.sent > 0 ? Math.round((c.byDeadline / p.load.sent) * 100) : 0;
        return `${share} % by +${c.deadlineMs / 1000} s ${c.keptUp ? '✓' : '✗'}`;
      }),
    ]);
}

const STEP_COLUMNS = ['target', 'offered', 'realtime written', 'batch written'];

function cpuRows(mode: ModeResult): string[][] {
  const row = (name: string, cpu: CpuUse) => [
    name,
    `${cpu.seconds} s`,
    String(cpu.runtime),
    String(cpu.kinesis),
    String(cpu.postgres),
    String(cpu.generator),
    String(cpu.other),
  ];
  const rows = mode.phases.map((p) => row(p.name, p.cpu));
  if (mode.drain) {
    for (const consumer of CONSUMERS)
      rows.push(row(`drain, ${consumer}`, mode.drain.cpu[consumer]));
  }
  return rows;
}

const CPU_COLUMNS = [
  'phase',
  'length',
  'runtime',
  'kinesis-local',
  'postgres',
  'generator',
  'other (not ours)',
];

function floorRows(floors: Floors): string[][] {
  const k = floors.kinesis.putToGetMs;
  const put = floors.kinesis.putMs;
  const pg = floors.postgres.insertMs;
  return [
    ['Kinesis put→get', ms(k?.p50), ms(k?.p95), ms(k?.p99), `${k?.count ?? 0} samples`],
    ['Kinesis PutRecord alone', ms(put?.p50), ms(put?.p95), ms(put?.p99), ''],
    [
      'PostgreSQL single-row insert',
      ms(pg?.p50),
      ms(pg?.p95),
      ms(pg?.p99),
      `${pg?.count ?? 0} samples`,
    ],
    [
      'bare reader',
      rate(floors.reader.readPerSecond),
      '',
      '',
      `${floors.reader.records} records, ${floors.reader.shards} shards; put ${rate(floors.reader.putPerSecond)}`,
    ],
  ];
}

const FLOOR_COLUMNS = ['floor', 'p50', 'p95', 'p99', ''];

export function renderText(report: BenchReport): string {
  const lines: string[] = [];
  const section = (title: string) => lines.push('', title);
  const right = (headers: string[], leftColumns = 1) =>
    headers.map((header, i) => ({ header, align: i < leftColumns ? 'left' : 'right' }) as const);
  const m = report.machine;
  lines.push(
    `pricestream bench — ${report.startedAt} — ${m.cpus} CPUs (${m.cpuModel}), load ${m.loadAverageBefore.join(' ')} → ${m.loadAverageAfter.join(' ')}`,
  );
  if (report.floors) {
    section('Floors (same servers, no pipeline)');
    lines.push(...renderTable(right(FLOOR_COLUMNS), floorRows(report.floors), { indent: '  ' }));
  }
  for (const mode of report.modes) {
    section(
      `Mode ${mode.mode}: realtime reads by ${mode.realtimeRead}; batch window ${mode.batchWindowSeconds} s`,
    );
    lines.push('  End-to-end latency (processed_at − fetched_at)');
    lines.push(...renderTable(right(LATENCY_COLUMNS, 2), latencyRows(mode), { indent: '  ' }));
    if (stepRows(mode).length > 0) {
      lines.push(
        '',
        '  Load steps (kept up: ≥ 95 % written by the step end + the allowed latency)',
      );
      lines.push(...renderTable(right(STEP_COLUMNS, 0), stepRows(mode), { indent: '  ' }));
    }
    lines.push(
      '',
      `  Highest rate kept up with: realtime ${rate(mode.sustainedPerSecond.realtime)}, batch ${rate(mode.sustainedPerSecond.batch)}` +
        (mode.sustainedLimitedByProducer ? ' (the producer could not offer more)' : ''),
    );
    if (mode.drain) {
      lines.push(
        `  Backlog drain (${mode.drain.records} records, each consumer alone): realtime ${rate(mode.drain.perSecond.realtime)}, batch ${rate(mode.drain.perSecond.batch)}`,
      );
    }
    const ratios = againstFloors(mode, report.floors);
    if (ratios) lines.push(`  ${ratios}`);
    lines.push('', '  CPU (cores busy on average)');
    lines.push(...renderTable(right(CPU_COLUMNS), cpuRows(mode), { indent: '  ' }));
    const mem = mode.memoryPeak;
    lines.push(
      '',
      `  Peak memory: runtime ${mem.runtimeRssMb} MB RSS, kinesis-local ${mem.kinesisRssMb} MB RSS, PostgreSQL ${mem.postgresPssMb} MB PSS`,
    );
  }
  section('Targets');
  lines.push(
    ...renderTable(
      [{ header: '' }, { header: 'target' }, { header: 'measured', align: 'right' }],
      report.checks.map((c) => [c.ok === null ? '?' : c.ok ? '✓' : '✗', c.target, c.measured]),
      { indent: '  ' },
    ),
  );
  return lines.join('\n');
}

export function renderMarkdown(report: BenchReport): string {
  const table = (headers: string[], rows: string[][]) =>
    [
      `| ${headers.join(' | ')} |`,
      `| ${headers.map(() => '---').join(' | ')} |`,
      ...rows.map((row) => `| ${row.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`),
    ].join('\n');
  const m = report.machine;
  const o = report.options;
  const out: string[] = [
    `# pricestream bench, ${report.startedAt}`,
    '',
    `${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGb} GB, Node ${m.node}, ${m.platform}. ` +
      `Load average ${m.loadAverageBefore.join(' ')} before, ${m.loadAverageAfter.join(' ')} after.`,
    '',
    `Options: modes ${o.modes.join(', ')}; original load ${o.durationSeconds} s; steps of ${o.stepSeconds} s at ${o.rates.join(', ')} records/s; ` +
      `drain ${o.drainRecords} records; ${o.floorSamples} floor samples${Object.keys(o.context).length ? `; context ${JSON.stringify(o.context)}` : ''}.`,
    '',
    '## Targets',
    '',
    table(
      ['', 'target', 'measured'],
      report.checks.map((c) => [c.ok === null ? '?' : c.ok ? '✓' : '✗', c.target, c.measured]),
    ),
  ];
  if (report.floors) {
    out.push(
      '',
      '## Floors',
      '',
      table(FLOOR_COLUMNS.slice(0, 4).concat('notes'), floorRows(report.floors)),
    );
  }
  for (const mode of report.modes) {
    out.push(
      '',
      `## Mode \`${mode.mode}\``,
      '',
      `Realtime consumer reads by ${mode.realtimeRead}; batch window ${mode.batchWindowSeconds} s.`,
      '',
      '### End-to-end latency (processed_at − fetched_at)',
      '',
      'Parts (medians): put = fetched→ingested, wait = ingested→received (polling and batching), write = received→processed.',
      '',
      table(LATENCY_COLUMNS, latencyRows(mode)),
    );
    const steps = stepRows(mode);
    if (steps.length > 0) {
      out.push(
        '',
        '### Load steps',
        '',
        'Kept up (✓): at least 95 % of the step written by its end plus the latency the consumer is allowed.',
        '',
        table(STEP_COLUMNS, steps),
        '',
        `Highest rate kept up with: realtime ${rate(mode.sustainedPerSecond.realtime)}, batch ${rate(mode.sustainedPerSecond.batch)}` +
          (mode.sustainedLimitedByProducer ? ' (the producer could not offer more).' : '.'),
      );
    }
    if (mode.drain) {
      out.push(
        '',
        `Backlog drain (${mode.drain.records} records preloaded, read from TRIM_HORIZON by each consumer alone): realtime ${rate(mode.drain.perSecond.realtime)}, batch ${rate(mode.drain.perSecond.batch)}.`,
      );
    }
    const ratios = againstFloors(mode, report.floors);
    if (ratios) out.push('', ratios);
    const mem = mode.memoryPeak;
    out.push(
      '',
      '### CPU (cores busy on average) and memory',
      '',
      table(CPU_COLUMNS, cpuRows(mode)),
      '',
      `Peak memory: runtime ${mem.runtimeRssMb} MB RSS, kinesis-local ${mem.kinesisRssMb} MB RSS, PostgreSQL ${mem.postgresPssMb} MB PSS.`,
    );
    if (mode.warnings.length > 0) {
      out.push('', 'Runtime warnings:', '', ...mode.warnings.map((w) => `- ${w}`));
    }
  }
  const notes = report.checks.filter((c) => c.note);
  if (notes.length > 0) {
    out.push('', '## Notes', '', ...[...new Set(notes.map((c) => c.note))].map((n) => `- ${n}`));
  }
  return `${out.join('\n')}\n`;
}
