import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashMigrations, migrationFiles } from '../../cdk/migrations-hash.ts';
import { environmentOf, resource, synth } from './synth.ts';

let sqlDir: string;
let dir: string;

beforeEach(async () => {
  sqlDir = await mkdtemp(join(tmpdir(), 'pricestream-sql-'));
  dir = join(sqlDir, 'migrations');
  await mkdir(dir);
  await writeFile(join(dir, '001_schemas.sql'), 'CREATE SCHEMA silver;\n');
  await writeFile(join(dir, '002_prices.sql'), 'CREATE TABLE silver.prices (id int);\n');
});

afterEach(async () => {
  await rm(sqlDir, { recursive: true, force: true });
});

describe('hashMigrations', () => {
  it('is stable for the same files', () => {
    expect(hashMigrations(dir)).toBe(hashMigrations(dir));
    expect(hashMigrations(dir)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when a file changes, is added or is renamed', async () => {
    const before = hashMigrations(dir);

    await writeFile(join(dir, '002_prices.sql'), 'CREATE TABLE silver.prices (id bigint);\n');
    const edited = hashMigrations(dir);
    await writeFile(join(dir, '003_gold.sql'), 'CREATE SCHEMA gold;\n');
    const added = hashMigrations(dir);

    expect(edited).not.toBe(before);
    expect(added).not.toBe(edited);
  });

  it('ignores files that are not migrations', async () => {
    const before = hashMigrations(dir);

    await writeFile(join(dir, 'README.md'), 'notes\n');

    expect(hashMigrations(dir)).toBe(before);
    expect(migrationFiles(dir)).toEqual(['001_schemas.sql', '002_prices.sql']);
  });

  it('fails on a missing folder rather than hashing nothing', () => {
    expect(() => hashMigrations(join(dir, 'missing'))).toThrow(/ENOENT/);
  });
});

describe('migrations custom resource', () => {
  it('runs the migrate function through the provider framework, keyed on the SQL', () => {
    const template = synth({}, { sqlDir });
    const [migrateId, migrate] = resource(template, 'AWS::Lambda::Function', 'Migrate');
    const [, migrations] = resource(template, 'Custom::Migrations', 'Migrations');
    const [frameworkId, framework] = resource(
      template,
      'AWS::Lambda::Function',
      'MigrateProviderframeworkonEvent',
    );

    expect(migrations.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [frameworkId, 'Arn'] },
      MigrationsHash: hashMigrations(dir),
    });
    expect(environmentOf(framework)).toMatchObject({
      USER_ON_EVENT_FUNCTION_ARN: { 'Fn::GetAtt': [migrateId, 'Arn'] },
    });
    // Room to wait for a database that is not serving yet (the Provider waits 15 minutes).
    expect(migrate.Properties.Timeout).toBe(600);
  });

  it('gets a new MigrationsHash when an SQL file changes', async () => {
    const hashOf = () => {
      const [, migrations] = resource(synth({}, { sqlDir }), 'Custom::Migrations', 'Migrations');
      return migrations.Properties.MigrationsHash;
    };
    const before = hashOf();

    await writeFile(join(dir, '001_schemas.sql'), 'CREATE SCHEMA silver;\nCREATE SCHEMA gold;\n');

    expect(hashOf()).not.toBe(before);
  });

  it('hashes the repository migrations by default', () => {
    const template = synth();
    const [, migrations] = resource(template, 'Custom::Migrations', 'Migrations');

    expect(migrations.Properties.MigrationsHash).toMatch(/^[0-9a-f]{64}$/);
  });
});
