import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { ensureDatabase } from '../../local/services/postgres.ts';

/**
 * A fresh database on the test server for one test file, so files run in
 * parallel without seeing each other's rows.
 */
export async function freshDatabase(prefix: string): Promise<{ url: string; pool: pg.Pool }> {
  const base = new URL(inject('databaseUrl'));
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(base.toString(), name);
  base.pathname = `/${name}`;
  const url = base.toString();
  return { url, pool: new pg.Pool({ connectionString: url, max: 5 }) };
}
