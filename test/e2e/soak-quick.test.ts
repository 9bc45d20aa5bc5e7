/**
 * npm run soak -- --quick --json, as a user runs it: the local pipeline at a
 * steady rate with a 30-second retention, so records age out several times
 * over; the stream stays at what its retention holds, nothing is lost or
 * doubled, and no figure grows after the first retention period.
 */
import { describe, expect, it } from 'vitest';
import type { SoakReport } from '../../scripts/soak/run.ts';
import { runCommand } from '../support/run-script.ts';

describe('npm run soak -- --quick', () => {
  // Synthesis, 1.5 minutes of production and the drain.
  it('keeps the stream at its retention and loses and doubles nothing', {
    timeout: 300_000,
  }, async () => {
    const result = await runCommand('npx', ['tsx', 'scripts/soak.ts', '--quick', '--json'], {
      env: {
        PRICESTREAM_SOAK_PG_PORT: process.env.PRICESTREAM_E2E_SOAK_PG_PORT ?? '54639',
        PRICESTREAM_SOAK_KINESIS_PORT: process.env.PRICESTREAM_E2E_SOAK_KINESIS_PORT ?? '4868',
        PRICESTREAM_SOAK_DASHBOARD_PORT: '3069',
        // The runtime's Lambda Invoke API (npm start's 3001 otherwise).
        PRICESTREAM_LAMBDA_PORT: '3067',
      },
    });
    expect(result.code, result.stderr.slice(-3_000)).toBe(0);
    const report = JSON.parse(result.stdout) as SoakReport;
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.rows).toHaveLength(10);
    for (const consumer of report.consumers) {
      expect(consumer, consumer.consumer).toMatchObject({
        produced: 1_800,
        stored: 1_800,
        lost: 0,
        doubled: 0,
      });
    }
    // 20 events/s held for 30 s is about 600 (plus fetch-prices' and the
    // probes'); without the retention the stream would end at 1,800 and more.
    const last = report.rows.at(-1)?.streamRecords ?? Number.POSITIVE_INFINITY;
    expect(last).toBeLessThan(1_500);
    expect(report.rows.every((row) => row.put5Ms !== null && row.kinesisRssMb !== null)).toBe(true);
  });
});
