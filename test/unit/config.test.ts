import { describe, expect, it } from 'vitest';
import {
  configFromContext,
  DEFAULT_CONFIG,
  fetchPeriodSeconds,
  type PricestreamConfig,
  parseConfig,
} from '../../cdk/config.ts';
import { configError } from '../support/config-error.ts';

const URL = 'postgres://postgres:postgres@127.0.0.1:54329/pricestream';
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC123';

function context(values: Record<string, unknown>): (key: string) => unknown {
  return (key) => values[key];
}

describe('parseConfig', () => {
  it('fills in the defaults: Aurora behind a TLS proxy, verify-full, no stage', () => {
    const config = parseConfig({});

    expect(config).toEqual<PricestreamConfig>(DEFAULT_CONFIG);
    expect(config.database).toMatchObject({ mode: 'aurora', proxy: true, minCapacity: 0.5 });
    expect(config.databaseSsl).toBe('verify-full');
    expect(config.realtime).toMatchObject({ batchSize: 1, batchingWindowSeconds: 0 });
    expect(config.batch).toMatchObject({ batchSize: 1000, batchingWindowSeconds: 15 });
  });

  it('rejects a symbol that is not BASE-QUOTE', () => {
    const error = configError(() =>
      parseConfig({ databaseUrl: URL, symbols: ['BTC-USD', 'btcusd'] }),
    );

    expect(error.setting).toBe('symbols');
    expect(error.message).toMatch(/unknown symbol format "btcusd"/);
  });

  it.each([0, 10_001])('rejects batch size %i, naming the consumer setting', (batchSize) => {
    const error = configError(() => parseConfig({ databaseUrl: URL, batch: { batchSize } }));

    expect(error.setting).toBe('batch.batchSize');
    expect(error.message).toContain('"batch.batchSize"');
  });

  it('requires a secret for an external database', () => {
    const error = configError(() => parseConfig({ database: { mode: 'external' } }));

    expect(error.setting).toBe('databaseSecretArn');
    expect(error.message).toMatch(/database.mode=external needs databaseSecretArn/);
  });

  it('accepts a secret ARN for an external database, with verified TLS', () => {
    const config = parseConfig({ database: { mode: 'external' }, databaseSecretArn: ARN });

    expect(config.databaseSecretArn).toBe(ARN);
    expect(config.databaseSsl).toBe('verify-full');
  });

  it('accepts the local URL on LocalStack only, without TLS by default', () => {
    const localstack = { deployTarget: 'localstack', database: { mode: 'external' } };

    expect(parseConfig({ ...localstack, databaseUrl: URL })).toMatchObject({
      databaseUrl: URL,
      databaseSsl: 'disable',
    });
    const error = configError(() =>
      parseConfig({ database: { mode: 'external' }, databaseUrl: URL }),
    );
    expect(error.message).toBe(
      'Invalid configuration "databaseUrl": a URL with a password is for LocalStack and the local runtime only (deployTarget=localstack); on AWS use database.mode=aurora or databaseSecretArn',
    );
  });

  it('reads the old databaseSsl=require as verify-full', () => {
    expect(parseConfig({ databaseSsl: 'require' }).databaseSsl).toBe('verify-full');
  });

  it('takes a stage of lower-case letters, digits and dashes', () => {
    expect(parseConfig({ stage: 'prod-2' }).stage).toBe('prod-2');
    expect(configError(() => parseConfig({ stage: 'Prod' })).setting).toBe('stage');
  });

  it('rejects unknown settings, top-level and per consumer', () => {
    expect(configError(() => parseConfig({ databaseUrl: URL, shards: 3 })).setting).toBe('shards');
    expect(
      configError(() => parseConfig({ databaseUrl: URL, realtime: { window: 1 } })).setting,
    ).toBe('realtime.window');
  });

  it('rejects a record age between -1 and 60 s', () => {
    const error = configError(() =>
      parseConfig({ databaseUrl: URL, realtime: { maxRecordAgeSeconds: 30 } }),
    );

    expect(error.setting).toBe('realtime.maxRecordAgeSeconds');
  });
});

describe('schedules', () => {
  it('take any rate() or cron() expression, defaults as before', () => {
    expect(DEFAULT_CONFIG.fetchSchedule).toBe('rate(1 minute)');
    expect(DEFAULT_CONFIG.rollup.schedule).toBe('rate(10 minutes)');

    const config = parseConfig({
      fetchSchedule: 'cron(0/10 8-17 ? * MON-FRI *)',
      rollup: { schedule: 'rate(1 hour)' },
    });

    expect(config.fetchSchedule).toBe('cron(0/10 8-17 ? * MON-FRI *)');
    expect(config.rollup.schedule).toBe('rate(1 hour)');
  });

  it.each([
    ['fetchSchedule', { fetchSchedule: 'rate(5 minute)' }, /with the value 5 the unit is minutes/],
    ['fetchSchedule', { fetchSchedule: 'every minute' }, /not a rate\(...\) or cron\(...\)/],
    [
      'rollup.schedule',
      { rollup: { schedule: 'cron(0 12 * * MON *)' } },
      /exactly one of day-of-month and day-of-week must be \?/,
    ],
    ['rollup.schedule', { rollup: { schedule: 'cron(0 12 * * ?)' } }, /takes 6 fields/],
  ])('refuse a bad expression in %s with the rule it breaks', (setting, raw, message) => {
    const error = configError(() => parseConfig(raw));

    expect(error.setting).toBe(setting);
    expect(error.message).toMatch(message);
  });

  it('say what the renamed minute settings became, also as -c overrides', () => {
    expect(configError(() => parseConfig({ fetchScheduleMinutes: 2 })).message).toMatch(
      /unknown setting \(renamed: use fetchSchedule, e\.g\. fetchSchedule=rate\(5 minutes\)\)/,
    );
    const error = configError(() =>
      configFromContext(context({ 'pricestream:rollup.scheduleMinutes': '5' })),
    );
    expect(error.setting).toBe('rollup.scheduleMinutes');
    expect(error.message).toMatch(/renamed: use rollup\.schedule/);
  });

  it('keep the fetch ticks within one invocation', () => {
    const error = configError(() =>
      parseConfig({ fetchSchedule: 'rate(1 minute)', pollIntervalSeconds: 61 }),
    );

    expect(error.setting).toBe('pollIntervalSeconds');
    expect(fetchPeriodSeconds('cron(5,35 14 * * ? *)')).toBe(840);
    expect(fetchPeriodSeconds('cron(0/5 8-17 ? * MON-FRI *)')).toBe(300);
  });
});

describe('network paths and keys', () => {
  const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

  it('refuses the Timestream mirror in the Aurora stack’s isolated subnets, naming the fix', () => {
    const error = configError(() => parseConfig({ timestream: { enabled: true } }));

    expect(error.setting).toBe('timestream.enabled');
    expect(error.message).toMatch(
      /no route to Timestream \(no NAT gateway, no Timestream endpoint\)/,
    );
    expect(error.message).toMatch(
      /turn the mirror off, or use database.mode=external with database.vpcId/,
    );
  });

  it('takes the mirror with an external database (outside a VPC, or in one the operator routes)', () => {
    const external = { database: { mode: 'external' }, databaseSecretArn: ARN };
    expect(parseConfig({ ...external, timestream: { enabled: true } }).timestream.enabled).toBe(
      true,
    );
  });

  it('takes a customer managed KMS key for an external secret, and refuses an alias or a key without a secret', () => {
    const external = { database: { mode: 'external' }, databaseSecretArn: ARN };
    expect(parseConfig({ ...external, databaseSecretKmsKeyArn: KEY }).databaseSecretKmsKeyArn).toBe(
      KEY,
    );

    const alias = configError(() =>
      parseConfig({
        ...external,
        databaseSecretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/db',
      }),
    );
    expect(alias.setting).toBe('databaseSecretKmsKeyArn');
    expect(alias.message).toMatch(/an alias cannot be granted/);
    expect(configError(() => parseConfig({ databaseSecretKmsKeyArn: KEY })).setting).toBe(
      'databaseSecretKmsKeyArn',
    );
  });
});

describe('configFromContext', () => {
  it('reads the pricestream object and lets -c pricestream:<key> override one key', () => {
    const config = configFromContext(
      context({
        pricestream: { shardCount: 3, batch: { batchSize: 500 } },
        'pricestream:shardCount': '5',
        'pricestream:database.mode': 'external',
        'pricestream:databaseSecretArn': ARN,
        'pricestream:database.minCapacity': '0',
        'pricestream:batch.batchingWindowSeconds': '30',
        'pricestream:symbols': 'BTC-USD, ETH-USD',
      }),
    );

    expect(config.shardCount).toBe(5);
    expect(config.batch).toMatchObject({ batchSize: 500, batchingWindowSeconds: 30 });
    expect(config.symbols).toEqual(['BTC-USD', 'ETH-USD']);
    expect(config.database).toMatchObject({ mode: 'external', minCapacity: 0 });
    expect(config.databaseSecretArn).toBe(ARN);
  });

  it('reports a bad command-line override by its setting', () => {
    const error = configError(() =>
      configFromContext(
        context({ pricestream: { databaseUrl: URL }, 'pricestream:batch.batchSize': '0' }),
      ),
    );

    expect(error.setting).toBe('batch.batchSize');
  });

  it('rejects a context value that is not an object', () => {
    expect(configError(() => configFromContext(context({ pricestream: 'x' }))).setting).toBe(
      'pricestream',
    );
  });
});
