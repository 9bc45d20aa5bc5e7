import { ENV, intEnv, oneOfEnv, requireEnv } from '../shared/env.ts';

export interface FetchConfig {
  streamName: string;
  symbols: string[];
  source: 'coinbase' | 'sim' | 'auto';
  coinbaseBaseUrl: string;
  coinbaseTimeoutMs: number;
  pollIntervalSeconds: number;
  schedulePeriodSeconds: number;
  simSeed: number;
}

export function readFetchConfig(
  env: Record<string, string | undefined> = process.env,
): FetchConfig {
  return {
    streamName: requireEnv(ENV.streamName, env),
    symbols: requireEnv(ENV.symbols, env)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    source: oneOfEnv(ENV.priceSource, ['coinbase', 'sim', 'auto'] as const, 'auto', env),
    coinbaseBaseUrl: env[ENV.coinbaseBaseUrl] || 'https://api.exchange.coinbase.com',
    coinbaseTimeoutMs: intEnv(ENV.coinbaseTimeoutMs, 2000, env),
    pollIntervalSeconds: intEnv(ENV.pollIntervalSeconds, 10, env),
    schedulePeriodSeconds: intEnv(ENV.schedulePeriodSeconds, 60, env),
    simSeed: intEnv(ENV.simSeed, 42, env),
  };
}
