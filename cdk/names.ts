import type { PricestreamConfig } from './config.ts';

/**
 * The names the stacks choose themselves. Everything else is named by
 * CloudFormation (unique per stack), so two stages, or two regions, of the
 * same app live in one account side by side: each chosen name carries the
 * stage, and the dashboard, whose names are global to the account, the region.
 */

/** `Pricestream`, or `Pricestream-prod` with stage `prod`. */
export function pipelineStackName(config: Pick<PricestreamConfig, 'stackName' | 'stage'>): string {
  return config.stage ? `${config.stackName}-${config.stage}` : config.stackName;
}

/** The stateful stack (network, database): `Pricestream-Data`, `Pricestream-prod-Data`. */
export function dataStackName(config: Pick<PricestreamConfig, 'stackName' | 'stage'>): string {
  return `${pipelineStackName(config)}-Data`;
}

/** The Kinesis stream: `prices`, or `prices-prod`. */
export function streamName(config: Pick<PricestreamConfig, 'streamName' | 'stage'>): string {
  return config.stage ? `${config.streamName}-${config.stage}` : config.streamName;
}

/** The configured dashboard name, else `<stack>-<region>` (the region may be a token). */
export function dashboardName(
  config: Pick<PricestreamConfig, 'stackName' | 'stage' | 'dashboardName'>,
  region: string,
): string {
  return config.dashboardName ?? `${pipelineStackName(config)}-${region}`;
}
