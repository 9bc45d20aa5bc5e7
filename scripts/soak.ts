/**
 * npm run soak [-- --quick | --json | --rate N | --minutes N | --retention-minutes N | --restart]:
 * the long run. See USAGE in soak/options.ts.
 */
import { renderTable } from '../local/shared/text-table.ts';
import { parseSoakArgs, type SoakOptions, USAGE, UsageError } from './soak/options.ts';
import type { SoakReport } from './soak/run.ts';
import type { SoakRow } from './soak/verdict.ts';

const n = (value: number) => value.toLocaleString('en-US');
const cell = (value: number | null | undefined) =>
  value === null || value === undefined ? '-' : n(Math.round(value));
const clock = (seconds: number) =>
  `${Math.floor(seconds / 60)}:${String(Math.round(seconds % 60)).padStart(2, '0')}`;

const COLUMNS: Array<[string, (row: Partial<Record<keyof SoakRow, number | null>>) => string]> = [
  ['stream records', (r) => cell(r.streamRecords)],
  ['save, MB', (r) => (r.saveMb === null || r.saveMb === undefined ? '-' : r.saveMb.toFixed(1))],
  ['put 5, ms', (r) => cell(r.put5Ms)],
  ['p50', (r) => cell(r.realtimeP50Ms)],
  ['p95', (r) => cell(r.realtimeP95Ms)],
  ['p50 ', (r) => cell(r.batchP50Ms)],
  ['p95 ', (r) => cell(r.batchP95Ms)],
  ['kinesis-local', (r) => cell(r.kinesisRssMb)],
  ['runtime', (r) => cell(r.runtimeRssMb)],
  ['PostgreSQL', (r) => cell(r.postgresMb)],
  ['PG PSS', (r) => cell(r.postgresPssMb)],
];

export function renderSoak(report: SoakReport): string {
  const o = report.options;
  const rows = [
    ...report.rows.map((row) => [clock(row.at), ...COLUMNS.map(([, value]) => value(row))]),
    ['', ...COLUMNS.map(() => '')],
    ['2nd period', ...COLUMNS.map(([, value]) => value(report.reference))],
    ['last period', ...COLUMNS.map(([, value]) => value(report.final))],
  ];
  const table = renderTable(
    [
      { header: 'time' },
      ...COLUMNS.map(([header]) => ({ header: header.trim(), align: 'right' as const })),
    ],
    rows,
    {
      groups: [
        { label: '', span: 4 },
        { label: 'realtime, ms', span: 2 },
        { label: 'batch, ms', span: 2 },
        { label: 'memory, MB: RSS, PostgreSQL private', span: 3 },
        { label: '', span: 1 },
      ],
    },
  );
  const consumers = report.consumers
    .map(
      (c) =>
        `${c.consumer}: ${n(c.stored)} of ${n(c.produced)} stored, ${n(c.lost)} lost, ${n(c.doubled)} doubled, ` +
        `${n(c.deadLetteredRecords)} dead-lettered (${n(c.agedOutRecords)} aged out), ${n(c.redrivenRecords)} redriven, ` +
        `drained ${c.drainSeconds === null ? 'never' : `${c.drainSeconds} s`} after production`,
    )
    .join('\n');
  const lines = [
    `pricestream soak: ${o.rate} events/s for ${o.minutes} min, retention ${o.retentionMinutes} min, a row every ${o.sampleSeconds} s; ${n(report.seconds)} s in all`,
    `runtime up in ${report.startSeconds.toFixed(1)} s` +
      (report.restart
        ? `; restarted at ${clock(report.restart.atSeconds)} (stopped in ${report.restart.stopSeconds.toFixed(1)} s, up again in ${report.restart.startSeconds.toFixed(1)} s)`
        : ''),
    `producer: ${n(report.producer.acknowledged)} events acknowledged; ${n(report.producer.failedCalls)} PutRecords calls failed and were sent again`,
    '',
    ...table,
    '',
    consumers,
    '',
    report.ok
      ? 'OK: nothing lost, nothing stored twice, no figure grew after the first retention period.'
      : `FAILED: ${report.problems.join('; ')}`,
  ];
  if (report.workDir) lines.push(`data folder kept: ${report.workDir} (runtime.log, data)`);
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  let options: SoakOptions;
  try {
    options = parseSoakArgs(argv, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`soak: ${error.message} (see --help)\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { runSoak } = await import('./soak/run.ts');
  const progress = (line: string) =>
    (options.json ? process.stderr : process.stdout).write(`${line}\n`);
  const report = await runSoak(options, progress);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderSoak(report));
  return report.ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
  process.exit();
}
