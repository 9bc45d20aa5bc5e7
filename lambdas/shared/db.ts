import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import { type AwsClientLimits, awsClientConfig } from './aws-client.ts';
import { ENV, EnvError, intEnv, oneOfEnv, optionalEnv, requireEnv } from './env.ts';

/** What domain functions need from a database: a narrow port, so tests hand in a real Pool. */
export type Db = Pick<pg.Pool, 'query'>;

/**
 * TLS to PostgreSQL. `verify-full` checks that the server's certificate
 * chains to a trusted CA and names the host connected to (libpq's
 * sslmode=verify-full); `ca` replaces Node's CAs (and NODE_EXTRA_CA_CERTS)
 * with the given PEM bundle.
 */
export type SslSetting = { mode: 'disable' } | { mode: 'verify-full'; ca?: string | undefined };

/**
 * Where the database is and how to log in:
 * - `url`: a connection URL with its password (the local runtime, LocalStack, operator commands);
 * - `secret`: a Secrets Manager secret in the RDS JSON shape, read again for
 *   every new connection, so a rotated password is picked up after an
 *   authentication failure without a cold start (`database.mode=external`);
 * - `iam`: RDS IAM authentication, a token signed locally for every new
 *   connection (tokens last 15 minutes) and no call leaving the VPC
 *   (through the RDS Proxy, or straight to Aurora).
 */
export type DatabaseSetting =
  | { kind: 'url'; url: string; ssl: SslSetting }
  | { kind: 'secret'; secretArn: string; ssl: SslSetting }
  | {
      kind: 'iam';
      host: string;
      port: number;
      database: string;
      user: string;
      region: string;
      ssl: SslSetting;
    };

/** DATABASE_SSL (`disable` by default; `require` is read as `verify-full`) and DATABASE_SSL_CA_FILE. */
export function sslSettingFromEnv(env: Record<string, string | undefined> = process.env) {
  const mode = oneOfEnv(
    ENV.databaseSsl,
    ['disable', 'verify-full', 'require'] as const,
    'disable',
    env,
  );
  if (mode === 'disable') return { mode } satisfies SslSetting;
  const caFile = optionalEnv(ENV.databaseSslCaFile, env);
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new EnvError(
        `${ENV.databaseSslCaFile}=${caFile} cannot be read: ${(error as Error).message}`,
      );
    }
  }
  return { mode: 'verify-full', ca } satisfies SslSetting;
}

/**
 * The function's database, from the variables the stack sets. DATABASE_URL,
 * when set, wins: it is how the local runtime and LocalStack point a function
 * at their own PostgreSQL.
 */
export function databaseSettingFromEnv(env = process.env): DatabaseSetting {
  const ssl: SslSetting = sslSettingFromEnv(env);
  const url = optionalEnv(ENV.databaseUrl, env);
  if (url) return { kind: 'url', url, ssl };
  const secretArn = optionalEnv(ENV.databaseSecretArn, env);
  if (secretArn) return { kind: 'secret', secretArn, ssl };
  if (optionalEnv(ENV.databaseAuth, env) === 'iam') {
    if (ssl.mode !== 'verify-full') {
      throw new EnvError(`IAM authentication needs TLS: set ${ENV.databaseSsl}=verify-full`);
    }
    return {
      kind: 'iam',
      host: requireEnv(ENV.databaseHost, env),
      port: intEnv(ENV.databasePort, 5432, env),
      database: requireEnv(ENV.databaseName, env),
      user: requireEnv(ENV.databaseUser, env),
      region: requireEnv('AWS_REGION', env),
      ssl,
    };
  }
  throw new EnvError(
    `Missing database setting: set ${ENV.databaseUrl}, ${ENV.databaseSecretArn}, or ${ENV.databaseAuth}=iam with ${ENV.databaseHost}`,
  );
}

/** The database `npm start` runs (DESIGN.md's stable interface). */
export const LOCAL_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:54329/pricestream';

/** An operator command's database (compare, rollup): DATABASE_URL, else the local one. */
export function operatorDatabaseSetting(
  env = process.env,
): Extract<DatabaseSetting, { kind: 'url' }> {
  return {
    kind: 'url',
    url: optionalEnv(ENV.databaseUrl, env) ?? LOCAL_DATABASE_URL,
    ssl: sslSettingFromEnv(env),
  };
}

interface RdsSecret {
  host: string;
  port?: number | string;
  username: string;
  password: string;
  dbname?: string;
}

/** What createPool needs from AWS; tests hand in their own. */
export interface DatabaseCredentials {
  /** The secret's JSON (RDS shape). */
  readSecret(secretArn: string): Promise<string>;
  /** An RDS IAM authentication token for this connection. */
  signToken(setting: Extract<DatabaseSetting, { kind: 'iam' }>): Promise<string>;
}

/** A Secrets Manager client with the functions' timeouts (a VPC without a route fails in seconds). */
export function createSecretsClient(
  options: { endpoint?: string } & AwsClientLimits = {},
): SecretsManagerClient {
  const { endpoint, ...limits } = options;
  return new SecretsManagerClient({
    ...(endpoint ? { endpoint } : {}),
    ...awsClientConfig(limits),
  });
}

let secretsClient: SecretsManagerClient | undefined;

export const awsCredentials: DatabaseCredentials = {
  async readSecret(secretArn) {
    // Once per environment, reused by every new connection's read.
    secretsClient ??= createSecretsClient();
    const out = await secretsClient.send(new GetSecretValueCommand({ SecretId: secretArn }));
    return out.SecretString ?? '{}';
  },
  signToken({ host, port, user, region }) {
    return new Signer({ hostname: host, port, username: user, region }).getAuthToken();
  },
};

function parseSecret(secretArn: string, text: string): RdsSecret {
  const secret = JSON.parse(text) as Partial<RdsSecret>;
  if (!secret.host || !secret.username || !secret.password) {
    throw new EnvError(
      `Database secret ${secretArn} must hold host, username and password (RDS secret JSON)`,
    );
  }
  return secret as RdsSecret;
}

/** pg's connection settings for a setting: the password a value, or a function called per new connection. */
export async function connectionConfig(
  setting: DatabaseSetting,
  credentials: DatabaseCredentials = awsCredentials,
): Promise<pg.ClientConfig> {
  const ssl = setting.ssl.mode === 'disable' ? false : tlsOptions(setting.ssl);
  switch (setting.kind) {
    case 'url':
      return { connectionString: setting.url, ssl };
    case 'iam':
      return {
        host: setting.host,
        port: setting.port,
        database: setting.database,
        user: setting.user,
        password: () => credentials.signToken(setting),
        ssl,
      };
    case 'secret': {
      const first = parseSecret(setting.secretArn, await credentials.readSecret(setting.secretArn));
      // The first connection uses the read that found the host; every later one reads again.
      let unused: string | undefined = first.password;
      return {
        host: first.host,
        port: Number(first.port ?? 5432),
        database: first.dbname ?? 'postgres',
        user: first.username,
        password: async () => {
          const password = unused;
          unused = undefined;
          if (password !== undefined) return password;
          const text = await credentials.readSecret(setting.secretArn);
          return parseSecret(setting.secretArn, text).password;
        },
        ssl,
      };
    }
  }
}

function tlsOptions(ssl: Extract<SslSetting, { mode: 'verify-full' }>): pg.ClientConfig['ssl'] {
  // Node checks the chain and, with rejectUnauthorized, that the certificate
  // names the host (pg passes it as the TLS servername): verify-full.
  return { rejectUnauthorized: true, ...(ssl.ca === undefined ? {} : { ca: ssl.ca }) };
}

/** A TLS failure while connecting, said in terms of what to fix. */
export class DatabaseTlsError extends Error {
  override name = 'DatabaseTlsError';
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Turns Node's certificate errors into one that names the server and the fix; others pass through. */
export function explainConnectError(error: unknown, host: string | undefined): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !TLS_CODES.has(code)) return error;
  const what =
    code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? 'its certificate does not name the host connected to'
      : 'its certificate does not chain to a trusted CA';
  return new DatabaseTlsError(
    `TLS verification (verify-full) of the database server ${host ?? ''} failed: ${what} (${code}: ${(error as Error).message}). ` +
      `Trust the server's CA (${ENV.databaseSslCaFile}, or NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem on Lambda for the Amazon RDS CAs) and connect by the name on its certificate.`,
    { cause: error },
  );
}

/** pg's Client with connection errors explained (the pool connects through it). */
class ExplainingClient extends pg.Client {
  // pg-pool connects with a callback; direct users get the promise.
  override connect(): Promise<pg.Client>;
  override connect(
    callback: ((err: Error) => void) | ((err: null, client: pg.Client) => void),
  ): void;
  override connect(
    callback?: ((err: Error) => void) | ((err: null, client: pg.Client) => void),
  ): Promise<pg.Client> | undefined {
    const host = (this as unknown as { host?: string }).host;
    if (callback) {
      const done = callback as (err: Error | null, client?: pg.Client) => void;
      super.connect((err: Error | null) =>
        done(err ? (explainConnectError(err, host) as Error) : null, this),
      );
      return undefined;
    }
    return super.connect().catch((err: unknown) => {
      throw explainConnectError(err, host);
    });
  }
}

/**
 * A small pool for one Lambda environment. Failing fast matters more than
 * waiting: a consumer that cannot reach the database reports its records as
 * failed and Lambda retries them.
 */
export async function createPool(
  setting: DatabaseSetting,
  max = 2,
  credentials: DatabaseCredentials = awsCredentials,
): Promise<pg.Pool> {
  const pool = new pg.Pool({
    ...(await connectionConfig(setting, credentials)),
    Client: ExplainingClient,
    max,
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 60_000,
    statement_timeout: 15_000,
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
