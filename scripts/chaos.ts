/**
 * npm run chaos [-- --quick | --json | --events N | --seed N | --keep]: the
 * fault suite. See USAGE in chaos/options.ts.
 */

import { renderTable } from '../local/shared/text-table.ts';
import { type ChaosOptions, parseChaosArgs, USAGE, UsageError } from './chaos/options.ts';
import type { ChaosReport } from './chaos/run.ts';

const n = (value: number) => value.toLocaleString('en-US');

export function renderChaos(report: ChaosReport): string {
  const rows: Array<[string, (c: ChaosReport['consumers'][number]) => string]> = [
    ['events produced (acknowledged by Kinesis)', (c) => n(c.produced)],
    ['  of which kinesis-local lost itself', (c) => n(c.droppedByEmulator)],
    ['stored', (c) => n(c.stored)],
    ['lost', (c) => n(c.lost)],
    ['duplicated', (c) => n(c.duplicated)],
    ['poison produced', (c) => n(c.poisonProduced)],
    ['poison rejected', (c) => n(c.poisonRejected)],
    ['  not rejected exactly once', (c) => n(c.poisonMiscounted)],
    ['dead letters (records)', (c) => `${n(c.deadLetters)} (${n(c.deadLetteredRecords)})`],
    ['redriven (records)', (c) => `${n(c.redriven)} (${n(c.redrivenRecords)})`],
    [
      'time to drain, s',
      (c) => (c.drainSeconds === null ? 'not drained' : c.drainSeconds.toFixed(1)),
    ],
  ];
  const table = renderTable(
    [
      { header: '' },
      ...report.consumers.map((c) => ({ header: c.consumer, align: 'right' as const })),
    ],
    rows.map(([label, cell]) => [label, ...report.consumers.map(cell)]),
  );
  const f = report.faults;
  const lines = [
    `pricestream chaos: ${n(report.options.events)} events + ${n(report.options.poison)} poison records at ${report.options.rate}/s, seed ${report.options.seed}; ${n(report.seconds)} s in all`,
    `faults: ${f['runtime-kill']} runtime kills (SIGKILL), ${f['postgres-crash']} PostgreSQL crashes, ${f['kinesis-restart']} kinesis-local restarts, ` +
      `${f['reshard-up'] + f['reshard-down']} reshards (${f['reshard-up']} up, ${f['reshard-down']} down), ${f['function-storm']} function storms, ` +
      `${f['invocation-faults']} invocations crashed or timed out by the Lambda host, ${f['coinbase-fault']} Coinbase stand-in outages; ` +
      `${f['runtime-exits']} runtime exits nobody asked for`,
    `producer: ${n(report.producer.acknowledged)} records acknowledged in ${report.producer.seconds} s; ${n(report.producer.failedCalls)} PutRecords calls failed and were sent again, ${n(report.producer.refusedEntries)} entries refused and sent again`,
    `stream: ${n(report.stream.records)} records read back (${n(Math.max(0, report.stream.records - report.producer.acknowledged))} more than acknowledged: puts that landed although their call failed, sent again), ${report.stream.shardsAtEnd} open shards at the end`,
    '',
    ...table,
    '',
    report.ok
      ? 'OK: nothing lost, nothing stored twice, every poison record rejected once per consumer, every dead letter redriven.'
      : `FAILED: ${report.problems.join('; ')}`,
  ];
  if (report.workDir) lines.push(`work folder kept: ${report.workDir} (runtime.log, data)`);
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  let options: ChaosOptions;
  try {
    options = parseChaosArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`chaos: ${error.message} (see --help)\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { runChaos } = await import('./chaos/run.ts');
  const progress = (line: string) =>
    (options.json ? process.stderr : process.stdout).write(`${line}\n`);
  const report = await runChaos(options, progress);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderChaos(report));
  return report.ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
  process.exit();
}
