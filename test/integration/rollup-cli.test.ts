import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.ts';
import { migratedDatabase } from '../support/migrated-db.ts';
import { runScript, UNREACHABLE_DATABASE_URL } from '../support/run-script.ts';
import {
  expectedGold,
  expectGoldToMatch,
  generateSilver,
  HOUR,
  insertSilver,
  readGold,
  type SilverSpec,
  TEN_MINUTES,
} from './rollup-model.ts';

/** `npm run rollup` as a user runs it: a child process, DATABASE_URL, stdout, stderr, exit code. */

const UNREACHABLE = UNREACHABLE_DATABASE_URL;

function rollup(args: string[], databaseUrl: string) {
  return runScript('rollup', args, { DATABASE_URL: databaseUrl, ROLLUP_SOURCE_CONSUMER: '' });
}

let db: { url: string; pool: pg.Pool };
let silver: SilverSpec[];

beforeAll(async () => {
  db = await migratedDatabase('rollup_cli');
  silver = generateSilver(99);
  await insertSilver(db.pool, silver);
});
afterAll(async () => {
  await db.pool.end();
});

describe('npm run rollup', () => {
  it('rolls up both granularities and says what it did', async () => {
    const { code, stdout, stderr } = await rollup([], db.url);

    expect(stderr).toBe('');
    expect(code).toBe(0);
    const tenMinutes = expectedGold(silver, 'realtime', TEN_MINUTES);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      new RegExp(
        `^10m rebuild from realtime, high-water mark \\S+: ${tenMinutes.length} buckets recomputed, ${tenMinutes.length} upserted \\(${tenMinutes.length} new, 0 updated, 0 unchanged\\), 0 removed, \\d+ change fields updated, \\d+ ms$`,
      ),
    );
    expect(lines[1]).toMatch(/^1h {2}rebuild from realtime/);
    expect(lines[2]).toMatch(/^done in \d+ ms$/);
    expectGoldToMatch(
      await readGold(db.pool, 'gold.prices_1h'),
      expectedGold(silver, 'realtime', HOUR),
    );
  });

  it('backfills one granularity over a range', async () => {
    const { code, stdout } = await rollup(
      ['--granularity', '1h', '--from', '2026-03-01T01:30', '--to', '2026-03-01T03:00:00Z'],
      db.url,
    );

    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^1h {2}backfill from realtime \[2026-03-01T01:00:00\.000Z, 2026-03-01T03:00:00\.000Z\): /,
    );
  });

  it.each([
    [
      ['--granularity', '5m'],
      'rollup: --granularity must be 10m, 1h or all, got "5m" (see --help)',
    ],
    [
      ['--from', 'yesterday'],
      'rollup: --from must be an ISO 8601 time like 2026-05-01T12:00:00Z, got "yesterday" (see --help)',
    ],
    [['--to', '2026-02-30'], 'rollup: --to is not a valid time: "2026-02-30" (see --help)'],
    [
      ['--from', '2026-03-02', '--to', '2026-03-01'],
      'rollup: --from (2026-03-02T00:00:00.000Z) must be before --to (2026-03-01T00:00:00.000Z) (see --help)',
    ],
    [
      ['--from', '2026-03-01', '--to', '2026-03-01'],
      'rollup: --from (2026-03-01T00:00:00.000Z) must be before --to (2026-03-01T00:00:00.000Z) (see --help)',
    ],
    [
      ['--consumer', 'flink'],
      'rollup: --consumer: source consumer must be one of realtime, batch, got "flink" (see --help)',
    ],
    [['--verbose'], "rollup: Unknown option '--verbose' (see --help)"],
  ])('refuses %j with one line and exit code 2', async (args, message) => {
    const { code, stdout, stderr } = await rollup(args, UNREACHABLE);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`${message}\n`);
  });

  it('says so when PostgreSQL is unreachable, with exit code 3', async () => {
    const { code, stderr } = await rollup([], UNREACHABLE);

    expect(code).toBe(3);
    expect(stderr).toBe(
      'rollup: Cannot reach PostgreSQL at 127.0.0.1:9 (ECONNREFUSED): start the pipeline with `npm start` or set DATABASE_URL\n',
    );
  });

  it('says so when the database has no gold tables, with exit code 4', async () => {
    const empty = await freshDatabase('rollup_cli_empty');
    await empty.pool.end();

    const { code, stderr } = await rollup(['--granularity', '10m'], empty.url);

    expect(code).toBe(4);
    expect(stderr).toMatch(
      /^rollup: the gold tables are missing in database "rollup_cli_empty_\w+"/,
    );
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('prints its usage with --help', async () => {
    const { code, stdout } = await rollup(['--help'], UNREACHABLE);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: npm run rollup -- \[--granularity 10m\|1h\|all\]/);
  });
});
