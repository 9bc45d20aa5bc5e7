import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import type pg from 'pg';
import { type Clock, systemClock } from '../shared/clock.ts';
import { createPool, type DatabaseSetting, databaseSettingFromEnv } from '../shared/db.ts';
import { ENV, optionalEnv } from '../shared/env.ts';
import { createLogger } from '../shared/logger.ts';
import { applyMigrations, grantRole, readMigrations } from '../shared/migrations.ts';
import { readSql, sqlRoot } from '../shared/sql.ts';
import { waitForDatabase } from '../shared/wait-for-database.ts';

const logger = createLogger('migrate');

/** Kept for applying the migrations once connected; the rest of the run may wait for the database. */
export const MIGRATE_RESERVE_MS = 90_000;

export interface MigrateDeps {
  setting: () => DatabaseSetting;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  env?: Record<string, string | undefined>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Custom resource handler (behind the CDK Provider framework): applies
 * sql/migrations on create and on every update, which CloudFormation sends
 * when the migrations' hash changes. Delete keeps the data. A database that
 * does not answer yet (a new proxy, a cluster resuming from 0 ACU) is waited
 * for with backoff until the function's remaining time less a reserve for the
 * migrations, then the run fails with the last error. With DATABASE_APP_USER
 * (IAM authentication straight to Aurora) it creates that role; with
 * DATABASE_READER_USER the reports function's read-only role.
 */
export function createHandler(deps: MigrateDeps) {
  const clock = deps.clock ?? systemClock;
  return async (
    event: CloudFormationCustomResourceEvent,
    context: Pick<Context, 'getRemainingTimeInMillis'>,
  ) => {
    const physicalResourceId = 'pricestream-migrations';
    if (event.RequestType === 'Delete') {
      logger.info('stack deleted; database left as it is');
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
    const env = deps.env ?? process.env;
    const deadline = clock() + context.getRemainingTimeInMillis() - MIGRATE_RESERVE_MS;
    const setting = deps.setting();
    const {
      value: pool,
      attempts,
      waitedMs,
    } = await waitForDatabase(() => connect(setting), {
      deadline,
      clock,
      sleep: deps.sleep ?? sleep,
      onRetry: (attempt, error, delayMs) =>
        logger.warn('database not answering yet; waiting', {
          attempt,
          delayMs,
          error: (error as Error)?.message ?? String(error),
        }),
    });
    if (attempts > 1) logger.info('database answered', { attempts, waitedMs });
    try {
      const migrations = await readMigrations(`${sqlRoot()}migrations`);
      const { applied, current } = await applyMigrations(pool, migrations);
      logger.info('migrations applied', { applied, current, pending: 0 });
      const appUser = optionalEnv(ENV.databaseAppUser, env);
      if (appUser !== undefined) {
        await grantRole(
          pool,
          'pricestream.app_user',
          appUser,
          readSql('queries/grant_app_user.sql'),
        );
        logger.info('IAM database user ready', { appUser });
      }
      const reader = optionalEnv(ENV.databaseReaderUser, env);
      if (reader !== undefined) {
        await grantRole(pool, 'pricestream.reader', reader, readSql('queries/grant_reader.sql'));
        logger.info('read-only database user ready', { reader });
      }
      return {
        PhysicalResourceId: physicalResourceId,
        Data: { Current: current ?? 'none', Applied: applied.length },
      };
    } finally {
      await pool.end();
    }
  };
}

/** One attempt: a pool whose first connection answered a query. */
async function connect(setting: DatabaseSetting): Promise<pg.Pool> {
  const pool = await createPool(setting, 1);
  try {
    await pool.query('SELECT 1');
    return pool;
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
}

export const handler = createHandler({ setting: () => databaseSettingFromEnv() });
