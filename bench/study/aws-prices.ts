/**
 * AWS's published on-demand prices the study's cost figures use: one table,
 * with the date it was read and the page each price comes from. Change the
 * figures here (and the date) when AWS changes them or for another region;
 * nothing else holds a price.
 */

export interface AwsPrices {
  /** When the prices were read from the pages below (YYYY-MM-DD). */
  readOn: string;
  region: string;
  lambda: {
    source: string;
    architecture: 'arm64';
    /** USD per request (invocation). */
    perRequestUsd: number;
    /** USD per GB-second of duration (first pricing tier). */
    perGbSecondUsd: number;
    /** Duration is billed rounded up to this many milliseconds. */
    billingGranularityMs: number;
  };
  kinesis: {
    source: string;
    /** Provisioned mode: USD per shard-hour. */
    perShardHourUsd: number;
    /** USD per PUT payload unit (a record, per started 25 KB). */
    perPutPayloadUnitUsd: number;
    putPayloadUnitBytes: number;
    /** Enhanced fan-out: USD per consumer-shard-hour. */
    perEfoConsumerShardHourUsd: number;
    /** Enhanced fan-out: USD per GB read by the consumer. */
    perEfoGbUsd: number;
  };
  database: {
    source: string;
    /** Aurora Serverless v2 (Aurora Standard), USD per ACU-hour. */
    perAcuHourUsd: number;
    /** The smallest capacity the cluster runs at, ACUs (the stateful stack's minimum). */
    minimumAcu: number;
    /** RDS Proxy in front of Aurora Serverless v2, USD per ACU-hour. */
    proxyPerAcuHourUsd: number;
    /** RDS Proxy bills Aurora Serverless v2 for at least this many ACUs. */
    proxyMinimumAcu: number;
  };
}

/**
 * US East (N. Virginia), on-demand, without free tier or savings plans.
 * Figures as published on the AWS pricing pages named below; the same
 * figures are quoted across the Lambda, Kinesis and Aurora pricing guides of
 * 2024–2026.
 */
export const AWS_PRICES: AwsPrices = {
  readOn: '2026-12-01',
  region: 'us-east-1',
  lambda: {
    source: 'https://aws.amazon.com/lambda/pricing/',
    architecture: 'arm64',
    perRequestUsd: 0.2 / 1_000_000,
    perGbSecondUsd: 0.0000133334,
    billingGranularityMs: 1,
  },
  kinesis: {
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
    perShardHourUsd: 0.015,
    perPutPayloadUnitUsd: 0.014 / 1_000_000,
    putPayloadUnitBytes: 25 * 1024,
    perEfoConsumerShardHourUsd: 0.015,
    perEfoGbUsd: 0.013,
  },
  database: {
    source:
      'https://aws.amazon.com/rds/aurora/pricing/ and https://aws.amazon.com/rds/proxy/pricing/',
    perAcuHourUsd: 0.12,
    minimumAcu: 0.5,
    proxyPerAcuHourUsd: 0.015,
    proxyMinimumAcu: 8,
  },
};
