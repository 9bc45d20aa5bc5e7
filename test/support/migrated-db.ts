import { fileURLToPath } from 'node:url';
import { applyMigrations, readMigrations } from '../../lambdas/shared/migrations.ts';
import { freshDatabase } from './db.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../sql/migrations', import.meta.url));

/** A fresh database with the project's migrations applied. */
export async function migratedDatabase(prefix: string) {
  const db = await freshDatabase(prefix);
  await applyMigrations(db.pool, await readMigrations(MIGRATIONS_DIR));
  return db;
}
