/**
 * The migrate function's real handler with DATABASE_APP_USER, as the stack
 * sets it for IAM authentication straight to Aurora: it creates the role the
 * other functions log in as, a member of rds_iam, able to write the pipeline's
 * tables and no more. PostgreSQL has no rds_iam role; a stand-in is created.
 */
import { randomBytes } from 'node:crypto';
import type { CloudFormationCustomResourceCreateEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { handler as migrate } from '../../lambdas/migrate/index.ts';
import { freshDatabase } from '../support/db.ts';

const created: Array<{ end(): Promise<void> }> = [];
afterAll(async () => {
  await Promise.all(created.map((p) => p.end()));
});

async function runMigrate(env: Record<string, string>): Promise<unknown> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await migrate({ RequestType: 'Create' } as CloudFormationCustomResourceCreateEvent, {
      getRemainingTimeInMillis: () => 600_000,
    });
  } finally {
    process.env = saved;
  }
}

describe('migrate with DATABASE_APP_USER', () => {
  it('creates the IAM role with rds_iam and lets it write silver and gold, twice without harm', async () => {
    const { url, pool } = await freshDatabase('appuser');
    created.push(pool);
    const role = `pricestream_app_${randomBytes(3).toString('hex')}`;
    await pool.query(
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN CREATE ROLE rds_iam; END IF; END $$",
    );

    await runMigrate({ DATABASE_URL: url, DATABASE_SSL: 'disable', DATABASE_APP_USER: role });
    await runMigrate({ DATABASE_URL: url, DATABASE_SSL: 'disable', DATABASE_APP_USER: role });

    const { rows } = await pool.query<{
      login: boolean;
      iam: boolean;
      prices: boolean;
      state: boolean;
      migrations: boolean;
    }>(
      `SELECT r.rolcanlogin AS login,
              pg_has_role(r.rolname, 'rds_iam', 'MEMBER') AS iam,
              has_table_privilege(r.rolname, 'silver.prices', 'INSERT') AS prices,
              has_table_privilege(r.rolname, 'gold.rollup_state', 'UPDATE') AS state,
              has_table_privilege(r.rolname, 'public.schema_migrations', 'INSERT') AS migrations
         FROM pg_roles r WHERE r.rolname = $1`,
      [role],
    );
    expect(rows).toEqual([
      { login: true, iam: true, prices: true, state: true, migrations: false },
    ]);
  });
});

describe('migrate with DATABASE_READER_USER', () => {
  it('creates the reports function’s role: rds_iam, SELECT on silver, gold and the views, read-only sessions', async () => {
    const { url, pool } = await freshDatabase('reader');
    created.push(pool);
    const role = `pricestream_reader_${randomBytes(3).toString('hex')}`;
    await pool.query(
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN CREATE ROLE rds_iam; END IF; END $$",
    );

    await runMigrate({ DATABASE_URL: url, DATABASE_SSL: 'disable', DATABASE_READER_USER: role });
    await runMigrate({ DATABASE_URL: url, DATABASE_SSL: 'disable', DATABASE_READER_USER: role });

    const { rows } = await pool.query(
      `SELECT pg_has_role(r.rolname, 'rds_iam', 'MEMBER') AS iam,
              has_table_privilege(r.rolname, 'silver.prices', 'SELECT') AS read_silver,
              has_table_privilege(r.rolname, 'silver.prices', 'INSERT') AS write_silver,
              has_table_privilege(r.rolname, 'public.gold_hourly_metrics', 'SELECT') AS read_view,
              has_table_privilege(r.rolname, 'gold.prices_1h', 'DELETE') AS write_gold,
              r.rolconfig AS config
         FROM pg_roles r WHERE r.rolname = $1`,
      [role],
    );
    expect(rows).toEqual([
      {
        iam: true,
        read_silver: true,
        write_silver: false,
        read_view: true,
        write_gold: false,
        config: ['default_transaction_read_only=on'],
      },
    ]);
  });
});
