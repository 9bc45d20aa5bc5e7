import { type App, type Environment, Tags } from 'aws-cdk-lib';
import type { PricestreamConfig } from './config.ts';
import { PricestreamDataStack } from './data-stack.ts';
import type { DatabaseAccess } from './database-binding.ts';
import { dataStackName, pipelineStackName } from './names.ts';
import { PricestreamStack } from './pricestream-stack.ts';

export interface PricestreamStacks {
  /** The stateful stack (network, Aurora, proxy): database.mode=aurora only. */
  data: PricestreamDataStack | undefined;
  pipeline: PricestreamStack;
}

/**
 * The app's stacks for one configuration: with database.mode=aurora the
 * stateful stack and the pipeline it is handed to; with external, the
 * pipeline alone, pointed at the given secret (or URL on LocalStack).
 */
export function addPricestreamStacks(
  app: App,
  config: PricestreamConfig,
  options: { env?: Environment | undefined; sqlDir?: string } = {},
): PricestreamStacks {
  Tags.of(app).add('project', 'pricestream');
  Tags.of(app).add('stage', config.stage ?? 'default');
  let data: PricestreamDataStack | undefined;
  let database: DatabaseAccess;
  if (config.database.mode === 'aurora') {
    data = new PricestreamDataStack(app, dataStackName(config), {
      database: config.database,
      env: options.env,
      description: 'pricestream: the network and the PostgreSQL database the pipeline writes to',
    });
    database = { kind: 'aurora', database: data.database };
  } else if (config.databaseSecretArn !== undefined) {
    const { vpcId, subnetIds, securityGroupIds } = config.database;
    database = {
      kind: 'secret',
      secretArn: config.databaseSecretArn,
      ...(config.databaseSecretKmsKeyArn ? { kmsKeyArn: config.databaseSecretKmsKeyArn } : {}),
      ...(vpcId && subnetIds && securityGroupIds
        ? { vpc: { vpcId, subnetIds, securityGroupIds } }
        : {}),
    };
  } else {
    database = { kind: 'url', url: config.databaseUrl as string };
  }
  const pipeline = new PricestreamStack(app, pipelineStackName(config), {
    config,
    database,
    env: options.env,
    ...(options.sqlDir ? { sqlDir: options.sqlDir } : {}),
    description:
      'pricestream: crypto prices through Kinesis into PostgreSQL, per record and per batch',
  });
  // The pipeline imports the data stack's exports: deployed after it, deleted before it.
  if (data) pipeline.addStackDependency(data, 'imports the network and database exports');
  return { data, pipeline };
}
