import { App } from 'aws-cdk-lib';
import { addPricestreamStacks } from './app-stacks.ts';
import { ConfigError, configFromContext, type PricestreamConfig } from './config.ts';

const app = new App();

try {
  const config: PricestreamConfig = configFromContext((key) => app.node.tryGetContext(key));
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  addPricestreamStacks(app, config, { env: account || region ? { account, region } : undefined });
} catch (error) {
  // A configuration mistake is the user's to fix: one line naming the setting, no stack trace.
  if (error instanceof ConfigError) {
    console.error(`pricestream: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
