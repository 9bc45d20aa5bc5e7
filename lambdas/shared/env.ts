/**
 * Environment read once at cold start. A missing or malformed variable fails
 * with a message that names it. The names here are the contract between the
 * stack (cdk/), which sets them, and the functions, which read them.
 */

export const ENV = {
  // every function
  logLevel: 'LOG_LEVEL',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  // functions that use PostgreSQL: a URL (local, LocalStack), a secret
  // (external database), or IAM authentication with host, port, name and user
  databaseUrl: 'DATABASE_URL',
  databaseSecretArn: 'DATABASE_SECRET_ARN',
  databaseAuth: 'DATABASE_AUTH',
  databaseHost: 'DATABASE_HOST',
  databasePort: 'DATABASE_PORT',
  databaseName: 'DATABASE_NAME',
  databaseUser: 'DATABASE_USER',
  /** `disable` or `verify-full` (`require` is read as `verify-full`). */
  databaseSsl: 'DATABASE_SSL',
  /** PEM file of the CAs to trust instead of Node's (tests, a private CA). */
  databaseSslCaFile: 'DATABASE_SSL_CA_FILE',
  /** migrate, with IAM authentication straight to Aurora: the role the other functions log in as. */
  databaseAppUser: 'DATABASE_APP_USER',
  /** migrate: the read-only role the reports function logs in as. */
  databaseReaderUser: 'DATABASE_READER_USER',
  // fetch-prices
  streamName: 'STREAM_NAME',
  symbols: 'SYMBOLS',
  priceSource: 'PRICE_SOURCE',
  coinbaseBaseUrl: 'COINBASE_BASE_URL',
  coinbaseTimeoutMs: 'COINBASE_TIMEOUT_MS',
  pollIntervalSeconds: 'POLL_INTERVAL_SECONDS',
  schedulePeriodSeconds: 'SCHEDULE_PERIOD_SECONDS',
  simSeed: 'SIM_SEED',
  // realtime-consumer's optional Timestream mirror: set only when it is enabled
  timestreamDatabase: 'TIMESTREAM_DATABASE_NAME',
  timestreamTable: 'TIMESTREAM_TABLE_NAME',
  timestreamEndpoint: 'TIMESTREAM_ENDPOINT',
} as const;

export class EnvError extends Error {
  override name = 'EnvError';
}

type Env = Record<string, string | undefined>;

export function requireEnv(name: string, env: Env = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new EnvError(`Missing environment variable ${name}`);
  }
  return value;
}

export function optionalEnv(name: string, env: Env = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

export function intEnv(name: string, fallback: number | undefined, env: Env = process.env): number {
  const raw = optionalEnv(name, env);
  if (raw === undefined) {
    if (fallback === undefined) throw new EnvError(`Missing environment variable ${name}`);
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value)) {
    throw new EnvError(
      `Environment variable ${name} must be an integer, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

export function oneOfEnv<T extends string>(
  name: string,
  allowed: readonly T[],
  fallback: T | undefined,
  env: Env = process.env,
): T {
  const raw = optionalEnv(name, env) ?? fallback;
  if (raw === undefined) throw new EnvError(`Missing environment variable ${name}`);
  if (!allowed.includes(raw as T)) {
    throw new EnvError(
      `Environment variable ${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`,
    );
  }
  return raw as T;
}
