/**
 * The functions' database code against a real PostgreSQL serving TLS with a
 * certificate signed by a CA made for this run: verify-full succeeds given
 * that CA and the name on the certificate, and fails with a clear error given
 * another CA or another host name. Also: the migrate function's real handler
 * over verify-full, and a password asked for again for every new connection
 * (how IAM tokens and rotated secrets reach pg).
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CloudFormationCustomResourceCreateEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as migrate } from '../../lambdas/migrate/index.ts';
import {
  createPool,
  type DatabaseCredentials,
  type DatabaseSetting,
  DatabaseTlsError,
  databaseSettingFromEnv,
} from '../../lambdas/shared/db.ts';
import {
  LOCAL_PASSWORD,
  LOCAL_USER,
  type PostgresService,
  startEmbeddedPostgres,
} from '../../local/services/postgres.ts';
import { freePort } from '../support/free-port.ts';
import { makeTestCertificates, type TestCertificates } from '../support/test-ca.ts';

let certificates: TestCertificates;
let postgres: PostgresService;
let port: number;
let dataDir: string;

beforeAll(async () => {
  certificates = makeTestCertificates();
  port = await freePort();
  // Right under the temp folder: as root, PostgreSQL runs as the postgres user,
  // who cannot enter a mkdtemp folder (mode 700).
  dataDir = path.join(tmpdir(), `pricestream-tls-pg-${port}`);
  await rm(dataDir, { recursive: true, force: true });
  postgres = await startEmbeddedPostgres({
    dataDir,
    port,
    database: 'pricestream_tls',
    fast: true,
    ephemeral: true,
    ssl: { cert: certificates.serverCert, key: certificates.serverKey },
  });
});

afterAll(async () => {
  await postgres?.stop();
  await rm(dataDir, { recursive: true, force: true });
  certificates?.remove();
});

const url = (host: string) =>
  `postgres://${LOCAL_USER}:${LOCAL_PASSWORD}@${host}:${port}/pricestream_tls`;

async function sslInUse(setting: DatabaseSetting, credentials?: DatabaseCredentials) {
  const pool = await createPool(setting, 2, credentials);
  try {
    const { rows } = await pool.query<{ ssl: boolean }>(
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    return rows[0]?.ssl;
  } finally {
    await pool.end();
  }
}

describe('TLS to PostgreSQL with verify-full', () => {
  it('connects over TLS given the CA that signed the server certificate and the name on it', async () => {
    const ssl = await sslInUse({
      kind: 'url',
      url: url('localhost'),
      ssl: { mode: 'verify-full', ca: certificates.ca },
    });

    expect(ssl).toBe(true);
  });

  it('reads the CA from DATABASE_SSL_CA_FILE, as a function configured by the stack does', async () => {
    const setting = databaseSettingFromEnv({
      DATABASE_URL: url('localhost'),
      DATABASE_SSL: 'verify-full',
      DATABASE_SSL_CA_FILE: certificates.caFile,
    });

    expect(await sslInUse(setting)).toBe(true);
  });

  it('refuses a server whose certificate another CA signed, saying what to fix', async () => {
    const attempt = sslInUse({
      kind: 'url',
      url: url('localhost'),
      ssl: { mode: 'verify-full', ca: certificates.otherCa },
    });

    await expect(attempt).rejects.toThrow(DatabaseTlsError);
    await expect(attempt).rejects.toThrow(
      /verify-full\) of the database server localhost failed: its certificate does not chain to a trusted CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    );
  });

  it('refuses a host name the certificate does not name', async () => {
    const attempt = sslInUse({
      kind: 'url',
      url: url('127.0.0.1'),
      ssl: { mode: 'verify-full', ca: certificates.ca },
    });

    await expect(attempt).rejects.toThrow(
      /database server 127\.0\.0\.1 failed: its certificate does not name the host connected to \(ERR_TLS_CERT_ALTNAME_INVALID/,
    );
  });

  it('runs the migrate function over verify-full, configured by environment variables', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      DATABASE_URL: url('localhost'),
      DATABASE_SSL: 'verify-full',
      DATABASE_SSL_CA_FILE: certificates.caFile,
    });
    try {
      const result = await migrate(
        { RequestType: 'Create' } as CloudFormationCustomResourceCreateEvent,
        { getRemainingTimeInMillis: () => 600_000 },
      );

      expect(result).toMatchObject({ PhysicalResourceId: 'pricestream-migrations' });
      expect(await sslInUse(databaseSettingFromEnv())).toBe(true);
    } finally {
      process.env = saved;
    }
  });
});

describe('passwords per connection (IAM tokens, rotated secrets)', () => {
  it('asks for a fresh IAM token for every new connection, over TLS', async () => {
    const signed: string[] = [];
    const credentials: DatabaseCredentials = {
      readSecret: () => Promise.reject(new Error('no secret here')),
      // The local server takes its password where RDS would take a token.
      signToken: async ({ host, port: tokenPort, user }) => {
        signed.push(`${user}@${host}:${tokenPort}`);
        return LOCAL_PASSWORD;
      },
    };
    const pool = await createPool(
      {
        kind: 'iam',
        host: 'localhost',
        port,
        database: 'pricestream_tls',
        user: LOCAL_USER,
        region: 'eu-west-1',
        ssl: { mode: 'verify-full', ca: certificates.ca },
      },
      2,
      credentials,
    );
    try {
      const [a, b] = [await pool.connect(), await pool.connect()];
      a.release();
      b.release();

      expect(signed).toEqual([`postgres@localhost:${port}`, `postgres@localhost:${port}`]);
    } finally {
      await pool.end();
    }
  });

  it('reads the secret again for each new connection after the first, so a rotated password is picked up', async () => {
    const secret = (password: string) =>
      JSON.stringify({
        host: 'localhost',
        port,
        username: LOCAL_USER,
        password,
        dbname: 'pricestream_tls',
      });
    // The first read finds the host; then the password "rotates" to the right one.
    const reads = [secret('stale'), secret(LOCAL_PASSWORD), secret(LOCAL_PASSWORD)];
    const credentials: DatabaseCredentials = {
      readSecret: async () => reads.shift() ?? '{}',
      signToken: () => Promise.reject(new Error('no IAM here')),
    };
    const pool = await createPool(
      {
        kind: 'secret',
        secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf',
        ssl: { mode: 'verify-full', ca: certificates.ca },
      },
      2,
      credentials,
    );
    try {
      await expect(pool.query('SELECT 1')).rejects.toThrow(/password authentication failed/);
      const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');

      expect(rows).toEqual([{ one: 1 }]);
      expect(reads).toHaveLength(1);
    } finally {
      await pool.end();
    }
  });
});
