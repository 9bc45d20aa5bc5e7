import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyMigrations, readMigrations } from '../../lambdas/shared/migrations.ts';
import { freshDatabase } from '../support/db.ts';
import { MIGRATIONS_DIR } from '../support/migrated-db.ts';

const pools: Array<{ end(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.end()));
});

describe('migrations', () => {
  it('creates the silver tables once, and a second run changes nothing', async () => {
    const { pool } = await freshDatabase('migrate');
    pools.push(pool);
    const migrations = await readMigrations(MIGRATIONS_DIR);

    const first = await applyMigrations(pool, migrations);
    const second = await applyMigrations(pool, migrations);

    expect(first.applied).toEqual(migrations.map((m) => m.name));
    expect(second.applied).toEqual([]);
    const { rows } = await pool.query<{ name: string }>(
      "SELECT table_schema || '.' || table_name AS name FROM information_schema.tables WHERE table_schema = 'silver' ORDER BY 1",
    );
    expect(rows.map((r) => r.name)).toEqual(['silver.prices', 'silver.rejected_events']);
  });

  it('applies once when two deploys run at the same time', async () => {
    const { pool } = await freshDatabase('migrate');
    pools.push(pool);
    const migrations = await readMigrations(MIGRATIONS_DIR);

    const [a, b] = await Promise.all([
      applyMigrations(pool, migrations),
      applyMigrations(pool, migrations),
    ]);

    expect([...a.applied, ...b.applied]).toEqual(migrations.map((m) => m.name));
  });

  it('refuses a migration that changed after it was applied, and rolls back a failing one', async () => {
    const { pool } = await freshDatabase('migrate');
    pools.push(pool);
    const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    await writeFile(path.join(dir, '001_a.sql'), 'CREATE TABLE a (x int);');
    await applyMigrations(pool, await readMigrations(dir));
    await writeFile(path.join(dir, '001_a.sql'), 'CREATE TABLE a (x bigint);');
    await expect(applyMigrations(pool, await readMigrations(dir))).rejects.toThrow(
      /001_a.sql changed after it was applied/,
    );

    await writeFile(path.join(dir, '001_a.sql'), 'CREATE TABLE a (x int);');
    await writeFile(path.join(dir, '002_b.sql'), 'CREATE TABLE b (y int); SELECT 1/0;');
    await expect(applyMigrations(pool, await readMigrations(dir))).rejects.toThrow(
      /002_b.sql failed: division by zero/,
    );
    const { rows } = await pool.query("SELECT to_regclass('public.b') AS b");
    expect(rows[0].b).toBeNull();
  });
});
