import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseMinute, insertRows, knownRows, MINUTE, SECOND } from '../support/compare-rows.ts';
import { freshDatabase } from '../support/db.ts';
import { migratedDatabase } from '../support/migrated-db.ts';
import { runScript, UNREACHABLE_DATABASE_URL } from '../support/run-script.ts';

/** `npm run compare` as a user runs it: a child process, DATABASE_URL, stdout, stderr, exit code. */

const UNREACHABLE = UNREACHABLE_DATABASE_URL;

function compare(args: string[], databaseUrl: string) {
  return runScript('compare', args, { DATABASE_URL: databaseUrl });
}

let known: { url: string; pool: pg.Pool };
let window: string[];

beforeAll(async () => {
  known = await migratedDatabase('compare_cli');
  const base = await baseMinute(known.pool);
  await insertRows(known.pool, base, knownRows());
  window = [
    '--since',
    base.toISOString(),
    '--until',
    new Date(base.getTime() + 5 * MINUTE).toISOString(),
  ];
});
afterAll(async () => {
  await known.pool.end();
});

describe('npm run compare', () => {
  it('prints the report as JSON with --json', async () => {
    const { code, stdout, stderr } = await compare([...window, '--json'], known.url);

    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual([
      'version',
      'generatedAt',
      'window',
      'percentiles',
      'consumers',
      'perSymbol',
      'perMinute',
      'completeness',
    ]);
    expect(report.version).toBe(2);
    expect(report.window.seconds).toBe(300);
    for (const consumer of ['realtime', 'batch']) {
      expect(Object.keys(report.consumers[consumer])).toEqual([
        'records',
        'throughputPerMinute',
        'lastWriteAt',
        'freshnessSeconds',
        'latencyMs',
        'latencyPartsMs',
        'latest',
      ]);
      expect(report.consumers[consumer].latest).toHaveLength(5);
    }
    expect(report.consumers.realtime.latencyMs).toMatchObject({ p50: 550, p95: 955, p99: 991 });
    expect(report.consumers.batch.latencyPartsMs.ingestedToReceived).toEqual({
      avg: 5400,
      p50: 5400,
      p95: 9450,
    });
    expect(report.perSymbol.map((s: { symbol: string }) => s.symbol)).toEqual([
      'BTC-USD',
      'ETH-USD',
      'SOL-USD',
    ]);
    expect(report.perMinute).toHaveLength(5);
    expect(report.completeness.missingFrom.batch.examples).toEqual(['e10']);
  });

  it('prints aligned tables within 100 columns by default', async () => {
    const { code, stdout, stderr } = await compare(window, known.url);

    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(stdout).toContain('percentile_cont');
    expect(stdout).toMatch(/^ {2}latency p50, ms +550\.0 +5,500\.0$/m);
    expect(stdout).toMatch(/^ {2}realtime +10 +550\.0 +100\.0 +550\.0 +955\.0 +991\.0 +1,000\.0$/m);
    expect(stdout).toMatch(
      /^ {2}ingested → received +440\.0 +440\.0 +764\.0 +5,400\.0 +5,400\.0 +9,450\.0$/m,
    );
    expect(stdout).toMatch(/^ {2}SOL-USD +0 +- +- +- +2 +6\.00 +5\.00 +7\.00$/m);
    expect(stdout).toMatch(/^ {2}missing from batch: 1$/m);
    expect(stdout).toMatch(/^ {4}e\.g\. e10$/m);
  });

  it('takes --since as a duration measured back from the database clock', async () => {
    const { pool, url } = await migratedDatabase('compare_cli_since');
    try {
      const { rows } = await pool.query<{ now: Date }>('SELECT now() AS now');
      const now = rows[0]?.now as Date;
      await insertRows(pool, now, [
        { consumer: 'realtime', eventId: 'in', processedAt: -50 * SECOND, parts: [1, 1, 1] },
        { consumer: 'realtime', eventId: 'out', processedAt: -70 * SECOND, parts: [1, 1, 1] },
      ]);

      const { code, stdout } = await compare(['--since', '1m', '--json'], url);

      expect(code).toBe(0);
      const report = JSON.parse(stdout);
      expect(report.window.seconds).toBe(60);
      expect(report.consumers.realtime.latest.map((r: { eventId: string }) => r.eventId)).toEqual([
        'in',
      ]);
    } finally {
      await pool.end();
    }
  });

  it('says so in one line and exits 1 when the window has no rows', async () => {
    const empty = await migratedDatabase('compare_cli_empty');
    await empty.pool.end();

    const { code, stdout, stderr } = await compare([], empty.url);

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^No rows in silver\.prices between \S+Z and \S+Z \(127\.0\.0\.1:\d+\): is `npm start` running\? Try a longer --since\.\n$/,
    );
  });

  it('says PostgreSQL cannot be reached and exits 3', async () => {
    const { code, stdout, stderr } = await compare([], UNREACHABLE);

    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'Cannot reach PostgreSQL at 127.0.0.1:9 (ECONNREFUSED): start the pipeline with `npm start` or set DATABASE_URL\n',
    );
  });

  it('says the database is not migrated and exits 4', async () => {
    const bare = await freshDatabase('compare_cli_bare');
    await bare.pool.end();

    const { code, stderr } = await compare([], bare.url);

    expect(code).toBe(4);
    expect(stderr).toMatch(
      /^silver\.prices does not exist in database "compare_cli_bare_\w+" at 127\.0\.0\.1:\d+ .*migrations.*\n$/,
    );
  });

  it.each([
    [['--since', '5x'], /^--since must be a duration like 30s, 5m, 2h, 1d or an ISO time/],
    [['--since', '5m', '--until', '10m'], /^--since \(.+\) must be before --until/],
    [['--window', '5m'], /^Unknown option '--window'/],
  ])('rejects %j before touching the database, exit 2', async (args, message) => {
    const { code, stdout, stderr } = await compare(args, UNREACHABLE);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
