/**
 * Runs an operator command's queries on the operator's database
 * (DATABASE_URL, else the local one) inside one read-only snapshot, so every
 * figure agrees with the others while the pipeline keeps writing, and maps
 * what goes wrong to the commands' exit codes.
 */
import type pg from 'pg';
import { createPool, operatorDatabaseSetting } from '../../lambdas/shared/db.ts';
import { WindowError } from '../../lambdas/shared/report-window.ts';
import { describeDatabaseError } from './database-errors.ts';

/** Exit codes of the commands that read the database (compare, report). */
export const EXIT = {
  ok: 0,
  noRows: 1,
  badArguments: 2,
  unreachable: 3,
  notMigrated: 4,
  failed: 5,
} as const;

export type SnapshotOutcome<T> =
  | { ok: true; value: T; databaseUrl: string }
  | { ok: false; exitCode: number; message: string };

export async function inSnapshot<T>(
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<SnapshotOutcome<T>> {
  const setting = operatorDatabaseSetting();
  const databaseUrl = setting.url;
  let pool: pg.Pool;
  try {
    pool = await createPool(setting, 1);
  } catch (error) {
    return { ok: false, exitCode: EXIT.badArguments, message: (error as Error).message };
  }
  try {
    const client = await pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const value = await work(client);
      await client.query('COMMIT');
      return { ok: true, value, databaseUrl };
    } finally {
      client.release(true);
    }
  } catch (error) {
    if (error instanceof WindowError) {
      return { ok: false, exitCode: EXIT.badArguments, message: error.message };
    }
    const { problem, message } = describeDatabaseError(error, databaseUrl);
    return {
      ok: false,
      message,
      exitCode:
        problem === 'unreachable'
          ? EXIT.unreachable
          : problem === 'not-migrated'
            ? EXIT.notMigrated
            : EXIT.failed,
    };
  } finally {
    await pool.end();
  }
}
