import { App } from 'aws-cdk-lib';
import { ConfigError, configFromContext, type PricestreamConfig } from './config.ts';
import { PricestreamStack } from './pricestream-stack.ts';

const app = new App();

try {
  const config: PricestreamConfig = configFromContext((key) => app.node.tryGetContext(key));
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  new PricestreamStack(app, config.stackName, {
    config,
    env: account || region ? { account, region } : undefined,
    description:
      'pricestream: crypto prices through Kinesis into PostgreSQL, per record and per batch',
  });
} catch (error) {
  // A configuration mistake is the user's to fix: one line naming the setting, no stack trace.
  if (error instanceof ConfigError) {
    console.error(`pricestream: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
