import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createPool, databaseSettingFromEnv } from '../shared/db.ts';
import { ENV, optionalEnv } from '../shared/env.ts';
import { createLogger } from '../shared/logger.ts';
import { applyMigrations, grantAppUser, readMigrations } from '../shared/migrations.ts';
import { readSql, sqlRoot } from '../shared/sql.ts';

const logger = createLogger('migrate');

/**
 * Custom resource handler (behind the CDK Provider framework): applies
 * sql/migrations on create and on every update, which CloudFormation sends
 * when the migrations' hash changes. Delete keeps the data. With
 * DATABASE_APP_USER (IAM authentication straight to Aurora), it then creates
 * that role and grants it the pipeline's tables.
 */
export const handler = async (event: CloudFormationCustomResourceEvent) => {
  const physicalResourceId = 'pricestream-migrations';
  if (event.RequestType === 'Delete') {
    logger.info('stack deleted; database left as it is');
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const pool = await createPool(databaseSettingFromEnv(), 1);
  try {
    const migrations = await readMigrations(`${sqlRoot()}migrations`);
    const { applied, current } = await applyMigrations(pool, migrations);
    logger.info('migrations applied', { applied, current, pending: 0 });
    const appUser = optionalEnv(ENV.databaseAppUser);
    if (appUser !== undefined) {
      await grantAppUser(pool, appUser, readSql('queries/grant_app_user.sql'));
      logger.info('IAM database user ready', { appUser });
    }
    return {
      PhysicalResourceId: physicalResourceId,
      Data: { Current: current ?? 'none', Applied: applied.length },
    };
  } finally {
    await pool.end();
  }
};
