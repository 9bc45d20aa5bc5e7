import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  configFromContext,
  DEFAULT_CONFIG,
  type PricestreamConfig,
  parseConfig,
} from '../../cdk/config.ts';

const URL = 'postgres://postgres:postgres@127.0.0.1:54329/pricestream';

/** The ConfigError `act` throws; fails the test if it throws anything else or nothing. */
function configError(act: () => unknown): ConfigError {
  try {
    act();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function context(values: Record<string, unknown>): (key: string) => unknown {
  return (key) => values[key];
}

describe('parseConfig', () => {
  it('fills in the defaults around the database URL', () => {
    const config = parseConfig({ databaseUrl: URL });

    expect(config).toEqual<PricestreamConfig>({ ...DEFAULT_CONFIG, databaseUrl: URL });
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

  it('requires a database URL or secret', () => {
    const error = configError(() => parseConfig({}));

    expect(error.setting).toBe('databaseUrl');
    expect(error.message).toMatch(/databaseSecretArn/);
  });

  it('accepts a secret ARN instead of a URL', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC123';

    expect(parseConfig({ databaseSecretArn: arn }).databaseSecretArn).toBe(arn);
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

describe('configFromContext', () => {
  it('reads the pricestream object and lets -c pricestream:<key> override one key', () => {
    const config = configFromContext(
      context({
        pricestream: { databaseUrl: URL, shardCount: 3, batch: { batchSize: 500 } },
        'pricestream:shardCount': '5',
        'pricestream:batch.batchingWindowSeconds': '30',
        'pricestream:symbols': 'BTC-USD, ETH-USD',
      }),
    );

    expect(config.shardCount).toBe(5);
    expect(config.batch).toMatchObject({ batchSize: 500, batchingWindowSeconds: 30 });
    expect(config.symbols).toEqual(['BTC-USD', 'ETH-USD']);
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
