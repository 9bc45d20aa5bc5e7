import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseMinute, insertRows, knownRows, MINUTE } from '../support/compare-rows.ts';
import { migratedDatabase } from '../support/migrated-db.ts';
import { runScript, UNREACHABLE_DATABASE_URL } from '../support/run-script.ts';

/** `npm run report` as a user runs it, on the compare tests' known rows, without the browser. */

let known: { url: string; pool: pg.Pool };
let window: string[];
let dir: string;

beforeAll(async () => {
  known = await migratedDatabase('report_cli');
  const base = await baseMinute(known.pool);
  await insertRows(known.pool, base, knownRows());
  window = [
    '--since',
    base.toISOString(),
    '--until',
    new Date(base.getTime() + 5 * MINUTE).toISOString(),
  ];
  dir = await mkdtemp(path.join(os.tmpdir(), 'pricestream-report-cli-'));
});
afterAll(async () => {
  await known.pool.end();
  await rm(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: the page's JSON, checked field by field
function embedded(html: string): any {
  const match = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html);
  return JSON.parse(match?.[1] ?? 'null');
}

describe('npm run report', () => {
  it('writes one HTML file with the window’s figures from the database', async () => {
    const out = path.join(dir, 'db.html');

    const { code, stdout, stderr } = await runScript(
      'report',
      ['--out', out, '--no-png', ...window],
      {
        DATABASE_URL: known.url,
      },
    );

    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`Wrote ${out}`);
    const html = await readFile(out, 'utf8');
    // Self-contained: nothing to fetch.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).toContain('uPlot');
    const data = embedded(html);
    expect(data.study).toBeNull();
    const [realtime, batch] = data.cdf;
    expect([realtime.label, realtime.records, batch.label, batch.records]).toEqual([
      'realtime',
      10,
      'batch',
      10,
    ]);
    // Realtime latencies are 100..1000 ms, batch 1000..10000 ms.
    expect(realtime.points[0]).toEqual([100, 0]);
    expect(realtime.points.at(-1)).toEqual([1000, 1]);
    expect(batch.points[0]).toEqual([1000, 0]);
    expect(batch.points.at(-1)).toEqual([10000, 1]);
    // Parts of realtime e<i>: 10·i, 80·i, 10·i ms, i = 1..10: means 55, 440, 55.
    expect(data.parts[0]).toEqual({ label: 'realtime', putMs: 55, waitMs: 440, writeMs: 55 });
    expect(data.throughput.series.map((s: { label: string }) => s.label)).toEqual([
      'realtime',
      'batch',
    ]);
    expect(data.throughput.points).toHaveLength(5);
    // 12 events in the window: realtime lacks b1 and b2, batch lacks e10.
    expect(data.completeness).toEqual([
      { label: 'realtime', written: 10, expected: 12, inFlight: 0 },
      { label: 'batch', written: 11, expected: 12, inFlight: 0 },
    ]);
  });

  it('says so when the window has no rows, and when PostgreSQL is away', async () => {
    const out = path.join(dir, 'none.html');
    const empty = await runScript(
      'report',
      [
        '--out',
        out,
        '--no-png',
        '--since',
        '2020-01-01T00:00:00Z',
        '--until',
        '2020-01-01T01:00:00Z',
      ],
      { DATABASE_URL: known.url },
    );
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/No rows in silver.prices/);

    const away = await runScript('report', ['--out', out, '--no-png'], {
      DATABASE_URL: UNREACHABLE_DATABASE_URL,
    });
    expect(away.code).toBe(3);
  });

  it('refuses a file that is not a study result', async () => {
    const notStudy = path.join(dir, 'not-study.json');
    await writeFile(notStudy, JSON.stringify({ version: 1, modes: [] }));

    const result = await runScript(
      'report',
      ['--out', path.join(dir, 'x.html'), '--study', notStudy],
      {},
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not a result of npm run study/);
    const missing = await runScript('report', ['--study', notStudy], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--out FILE is required/);
  });
});
