import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Reads `NNN_name.sql` files in version order. */
export async function readMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_[\w-]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(path.join(dir, file), 'utf8');
      return {
        version: file.split('_')[0] as string,
        name: file,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    }),
  );
}

const LOCK_KEY = 727_274_001; // any constant: serialises concurrent deploys

/**
 * Applies pending migrations, each in its own transaction, under an advisory
 * lock so two runs at once cannot interleave. A migration that changed after
 * it was applied is an error: migrations are append-only.
 */
export async function applyMigrations(
  pool: Pick<pg.Pool, 'connect'>,
  migrations: Migration[],
): Promise<{ applied: string[]; current: string | undefined }> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS public.schema_migrations (
      version text PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: string; checksum: string; name: string }>(
      'SELECT version, name, checksum FROM public.schema_migrations',
    );
    const done = new Map(rows.map((r) => [r.version, r]));
    const applied: string[] = [];
    for (const migration of migrations) {
      const previous = done.get(migration.version);
      if (previous) {
        if (previous.checksum !== migration.checksum) {
          throw new MigrationError(
            `Migration ${migration.name} changed after it was applied (as ${previous.name}); add a new migration instead`,
          );
        }
        continue;
      }
      try {
        await client.query('BEGIN');
        await client.query(migration.sql);
        await client.query(
          'INSERT INTO public.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
          [migration.version, migration.name, migration.checksum],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw new MigrationError(
          `Migration ${migration.name} failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      applied.push(migration.name);
    }
    return { applied, current: migrations.at(-1)?.version };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    client.release();
  }
}

/**
 * Creates (or updates) a role the functions log in as with IAM
 * authentication (the pipeline's straight to Aurora, the reports function's
 * read-only one) and grants it the pipeline's tables. `sql` is
 * sql/queries/grant_*.sql; the role name travels as the setting `setting`
 * because a DO block takes no parameters.
 */
export async function grantRole(
  pool: Pick<pg.Pool, 'connect'>,
  setting: 'pricestream.app_user' | 'pricestream.reader',
  role: string,
  sql: string,
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT set_config($1, $2, false)', [setting, role]);
    await client.query(sql);
  } finally {
    client.release();
  }
}

/** The pipeline's IAM role straight to Aurora (sql/queries/grant_app_user.sql). */
export function grantAppUser(pool: Pick<pg.Pool, 'connect'>, role: string, sql: string) {
  return grantRole(pool, 'pricestream.app_user', role, sql);
}
