import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createPool, databaseSettingFromEnv } from '../shared/db.ts';
import { createLogger } from '../shared/logger.ts';
import { applyMigrations, readMigrations } from '../shared/migrations.ts';
import { sqlRoot } from '../shared/sql.ts';

const logger = createLogger('migrate');

/**
 * Custom resource handler (behind the CDK Provider framework): applies
 * sql/migrations on create and on every update, which CloudFormation sends
 * when the migrations' hash changes. Delete keeps the data.
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
    return {
      PhysicalResourceId: physicalResourceId,
      Data: { Current: current ?? 'none', Applied: applied.length },
    };
  } finally {
    await pool.end();
  }
};
