import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { ENV, EnvError, oneOfEnv, optionalEnv } from './env.ts';

/** What domain functions need from a database: a narrow port, so tests hand in a real Pool. */
export type Db = Pick<pg.Pool, 'query'>;

export type DatabaseSetting =
  | { kind: 'url'; url: string; ssl: boolean }
  | { kind: 'secret'; secretArn: string; ssl: boolean };

export function databaseSettingFromEnv(env = process.env): DatabaseSetting {
  const ssl =
    oneOfEnv(ENV.databaseSsl, ['require', 'disable'] as const, 'disable', env) === 'require';
  const secretArn = optionalEnv(ENV.databaseSecretArn, env);
  if (secretArn) return { kind: 'secret', secretArn, ssl };
  const url = optionalEnv(ENV.databaseUrl, env);
  if (url) return { kind: 'url', url, ssl };
  throw new EnvError(
    `Missing database setting: set ${ENV.databaseUrl} or ${ENV.databaseSecretArn}`,
  );
}

/** The database `npm start` runs (DESIGN.md's stable interface). */
export const LOCAL_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:54329/pricestream';

/** An operator command's database (compare, rollup): DATABASE_URL, else the local one. */
export function operatorDatabaseSetting(
  env = process.env,
): Extract<DatabaseSetting, { kind: 'url' }> {
  const ssl =
    oneOfEnv(ENV.databaseSsl, ['require', 'disable'] as const, 'disable', env) === 'require';
  return { kind: 'url', url: optionalEnv(ENV.databaseUrl, env) ?? LOCAL_DATABASE_URL, ssl };
}

interface RdsSecret {
  host: string;
  port?: number | string;
  username: string;
  password: string;
  dbname?: string;
}

async function connectionString(setting: DatabaseSetting): Promise<string> {
  if (setting.kind === 'url') return setting.url;
  const client = new SecretsManagerClient({});
  const out = await client.send(new GetSecretValueCommand({ SecretId: setting.secretArn }));
  const secret = JSON.parse(out.SecretString ?? '{}') as Partial<RdsSecret>;
  if (!secret.host || !secret.username || !secret.password) {
    throw new EnvError(
      `Database secret ${setting.secretArn} must hold host, username and password (RDS secret JSON)`,
    );
  }
  const user = encodeURIComponent(secret.username);
  const password = encodeURIComponent(secret.password);
  return `postgres://${user}:${password}@${secret.host}:${secret.port ?? 5432}/${secret.dbname ?? 'postgres'}`;
}

/**
 * A small pool for one Lambda environment. Failing fast matters more than
 * waiting: a consumer that cannot reach the database reports its records as
 * failed and Lambda retries them.
 */
export async function createPool(setting: DatabaseSetting, max = 2): Promise<pg.Pool> {
  const pool = new pg.Pool({
    connectionString: await connectionString(setting),
    max,
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 60_000,
    statement_timeout: 15_000,
    ...(setting.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled,
  // that would crash the whole environment instead of failing one query.
  pool.on('error', () => {});
  return pool;
}

let shared: Promise<pg.Pool> | undefined;

/** The environment's pool, created on first use and reused across invocations. */
export function sharedPool(): Promise<pg.Pool> {
  if (!shared) {
    shared = createPool(databaseSettingFromEnv()).catch((error: unknown) => {
      shared = undefined;
      throw error;
    });
  }
  return shared;
}
