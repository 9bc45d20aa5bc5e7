/**
 * npm run rollup: the gold rollups from the command line, with the same code
 * the scheduled function runs. See `npm run rollup -- --help`.
 */
import type pg from 'pg';
import { createPool, LOCAL_DATABASE_URL, operatorDatabaseSetting } from '../lambdas/shared/db.ts';
import { EnvError } from '../lambdas/shared/env.ts';
import { RollupRequestError, runRollup } from '../lambdas/shared/rollup.ts';
import { describeDatabaseError, serverOf } from './report/database-errors.ts';
import {
  parseRollupArgs,
  type RollupCliOptions,
  renderRollupResult,
  UsageError,
} from './rollup-cli.ts';

const EXIT = { ok: 0, badArguments: 2, unreachable: 3, notMigrated: 4, failed: 5 } as const;

const USAGE = `Usage: npm run rollup -- [--granularity 10m|1h|all] [--from <time>] [--to <time>]
                        [--consumer realtime|batch]

Rolls silver.prices up into gold.prices_10m and gold.prices_1h.

Without --from/--to: the incremental run the schedule does. It recomputes the
buckets touched by the silver rows processed since the last run (late rows
included) and moves the high-water mark; the first run, or a run with another
source consumer, rebuilds every bucket.

With --from and/or --to: a backfill. Every bucket overlapping [from, to) is
recomputed from silver (an open end means all of that side); buckets without
source rows there are removed. The high-water mark is left alone.

  --granularity <g>  10m, 1h or all. Default all.
  --from <time>      ISO 8601 time, e.g. 2026-05-01 or 2026-05-01T12:00:00Z
                     (UTC unless it has an offset).
  --to <time>        same form; must be after --from.
  --consumer <c>     whose silver rows feed gold: realtime or batch. Default
                     ROLLUP_SOURCE_CONSUMER, else the consumer of the previous
                     run, else realtime.
  -h, --help         show this help.

Database: DATABASE_URL, else ${LOCAL_DATABASE_URL}
(set DATABASE_SSL=require for TLS).

Exit codes: 0 done; 2 bad arguments; 3 PostgreSQL unreachable or refused the
login; 4 gold tables missing (not migrated); 5 the rollup failed.`;

async function main(argv: string[]): Promise<number> {
  let options: RollupCliOptions | 'help';
  try {
    options = parseRollupArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof RollupRequestError)) throw error;
    process.stderr.write(`rollup: ${error.message} (see --help)\n`);
    return EXIT.badArguments;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }

  const setting = operatorDatabaseSetting();
  const databaseUrl = setting.url;
  let pool: pg.Pool;
  try {
    pool = await createPool(setting, 1);
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    process.stderr.write(`rollup: ${error.message}\n`);
    return EXIT.badArguments;
  }

  const started = performance.now();
  const backfill = options.from || options.to ? { from: options.from, to: options.to } : undefined;
  try {
    // One granularity after the other, each its own transaction: what is printed is committed.
    for (const granularity of options.granularities) {
      const result = await runRollup(pool, {
        granularity,
        sourceConsumer: options.consumer,
        backfill,
      });
      process.stdout.write(`${renderRollupResult(result)}\n`);
    }
    process.stdout.write(`done in ${Math.round(performance.now() - started)} ms\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof RollupRequestError) {
      process.stderr.write(`rollup: ${error.message}\n`);
      return EXIT.badArguments;
    }
    const { problem, message } = describeDatabaseError(error, databaseUrl);
    if (problem === 'not-migrated') {
      const { hostPort, database } = serverOf(databaseUrl);
      process.stderr.write(
        `rollup: the gold tables are missing in database "${database}" at ${hostPort} ` +
          `(${(error as Error).message}): run \`npm start\`, which applies the migrations, ` +
          'or point DATABASE_URL at a migrated database\n',
      );
      return EXIT.notMigrated;
    }
    if (problem === 'unreachable') {
      process.stderr.write(`rollup: ${message}\n`);
      return EXIT.unreachable;
    }
    process.stderr.write(
      `rollup: failed; gold and its high-water mark are as they were: ${(error as Error).message}\n`,
    );
    return EXIT.failed;
  } finally {
    await pool.end();
  }
}

process.exitCode = await main(process.argv.slice(2));
