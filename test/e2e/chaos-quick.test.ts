/**
 * npm run chaos -- --quick --json, as a user runs it: the local pipeline
 * under faults (runtime SIGKILLs, a PostgreSQL crash, a kinesis-local
 * restart, a reshard, a function storm, a Coinbase outage) loses and doubles
 * nothing, rejects each poison record once per consumer, and redrives every
 * dead letter.
 */
import { describe, expect, it } from 'vitest';
import type { ChaosReport } from '../../scripts/chaos/run.ts';
import { runCommand } from '../support/run-script.ts';

describe('npm run chaos -- --quick', () => {
  it('loses nothing and stores nothing twice under every kind of fault', async () => {
    const started = Date.now();
    const result = await runCommand('npx', ['tsx', 'scripts/chaos.ts', '--quick', '--json'], {
      env: {
        PRICESTREAM_CHAOS_PG_PORT: process.env.PRICESTREAM_E2E_CHAOS_PG_PORT ?? '54539',
        PRICESTREAM_CHAOS_KINESIS_PORT: process.env.PRICESTREAM_E2E_CHAOS_KINESIS_PORT ?? '4768',
        PRICESTREAM_CHAOS_DASHBOARD_PORT: '3059',
        PRICESTREAM_CHAOS_COINBASE_PORT: '3058',
        // The runtime's Lambda Invoke API (npm start's 3001 otherwise).
        PRICESTREAM_LAMBDA_PORT: '3057',
      },
    });
    const seconds = (Date.now() - started) / 1000;
    const report = JSON.parse(result.stdout) as ChaosReport;

    // The problems first: they say what went wrong, the exit code only that something did.
    expect(report.problems, result.stderr.slice(-3_000)).toEqual([]);
    expect(result.code, result.stderr.slice(-3_000)).toBe(0);
    expect(report.ok).toBe(true);
    for (const kind of [
      'runtime-kill',
      'postgres-crash',
      'kinesis-restart',
      'function-storm',
    ] as const) {
      expect(report.faults[kind], kind).toBeGreaterThan(0);
    }
    expect(report.faults['reshard-up']).toBe(1);
    expect(report.faults['invocation-faults']).toBeGreaterThan(0);
    expect(report.consumers.map((c) => c.consumer)).toEqual(['realtime', 'batch']);
    for (const consumer of report.consumers) {
      expect(consumer, consumer.consumer).toMatchObject({
        produced: 2_000,
        lost: 0,
        duplicated: 0,
        poisonProduced: 20,
        poisonMiscounted: 0,
      });
      expect(consumer.stored + consumer.droppedByEmulator).toBe(2_000);
      expect(consumer.redriven).toBe(consumer.deadLetters);
      expect(consumer.drainSeconds).not.toBeNull();
    }
    expect(seconds).toBeLessThan(180);
  });
});
