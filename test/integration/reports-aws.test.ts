/**
 * `npm run compare -- --aws` and `npm run report -- --aws` against a loopback
 * stand-in of the AWS APIs they call (CloudFormation DescribeStacks, Lambda
 * Invoke, in their wire formats). The invoked function is the reports
 * function's real code, connected as its read-only user over verify-full TLS
 * to a PostgreSQL serving TLS (as the deployed one does through the RDS CAs),
 * migrated by the real migrate handler, which created that user.
 */
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CloudFormationCustomResourceCreateEvent } from 'aws-lambda';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as migrate } from '../../lambdas/migrate/index.ts';
import { createHandler } from '../../lambdas/reports/handler.ts';
import { createPool } from '../../lambdas/shared/db.ts';
import { type PostgresService, startEmbeddedPostgres } from '../../local/services/postgres.ts';
import { startAwsStandIn } from '../support/aws-standin.ts';
import { baseMinute, insertRows, knownRows, MINUTE } from '../support/compare-rows.ts';
import { freePort } from '../support/free-port.ts';
import { runScript } from '../support/run-script.ts';
import { makeTestCertificates, type TestCertificates } from '../support/test-ca.ts';

const READER = 'pricestream_reader';
const READER_PASSWORD = 'reader-secret';
const FUNCTION = 'Pricestream-Reports-0123456789AB';

let certificates: TestCertificates;
let postgres: PostgresService;
let dataDir: string;
let adminUrl: string;
let readerPool: pg.Pool;
let standIn: Awaited<ReturnType<typeof startAwsStandIn>>;
let window: string[];
let awsEnv: Record<string, string>;
let localEnv: Record<string, string>;

beforeAll(async () => {
  certificates = makeTestCertificates();
  const port = await freePort();
  dataDir = path.join(tmpdir(), `pricestream-reports-pg-${port}`);
  await rm(dataDir, { recursive: true, force: true });
  postgres = await startEmbeddedPostgres({
    dataDir,
    port,
    database: 'pricestream_reports',
    fast: true,
    ephemeral: true,
    ssl: { cert: certificates.serverCert, key: certificates.serverKey },
  });
  // By the name on the server's certificate, as verify-full wants.
  adminUrl = postgres.url.replace('127.0.0.1', 'localhost');
  const tls = { DATABASE_SSL: 'verify-full', DATABASE_SSL_CA_FILE: certificates.caFile };

  // The migrate function as the stack runs it: migrations, then the read-only user.
  const saved = { ...process.env };
  Object.assign(process.env, { DATABASE_URL: adminUrl, DATABASE_READER_USER: READER, ...tls });
  try {
    await migrate({ RequestType: 'Create' } as CloudFormationCustomResourceCreateEvent, {
      getRemainingTimeInMillis: () => 600_000,
    });
  } finally {
    process.env = saved;
  }
  const admin = new pg.Pool({
    connectionString: adminUrl,
    ssl: { ca: certificates.ca, rejectUnauthorized: true },
  });
  // On Aurora the user logs in with an IAM token; here with a password.
  await admin.query(`ALTER ROLE ${READER} PASSWORD '${READER_PASSWORD}'`);
  const base = await baseMinute(admin);
  await insertRows(admin, base, knownRows());
  await admin.end();
  window = [
    '--since',
    base.toISOString(),
    '--until',
    new Date(base.getTime() + 5 * MINUTE).toISOString(),
  ];

  const readerUrl = new URL(adminUrl);
  readerUrl.username = READER;
  readerUrl.password = READER_PASSWORD;
  readerPool = await createPool({
    kind: 'url',
    url: readerUrl.toString(),
    ssl: { mode: 'verify-full', ca: certificates.ca },
  });
  const reports = createHandler({
    pool: async () => readerPool,
    settings: { batchingWindowSeconds: { realtime: 0, batch: 15 } },
  });

  standIn = await startAwsStandIn();
  standIn.putStack('Pricestream', { ReportsFunctionName: FUNCTION, StreamName: 'prices' });
  standIn.onInvoke(FUNCTION, reports);
  awsEnv = {
    AWS_ENDPOINT_URL_CLOUDFORMATION: standIn.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: standIn.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // Nothing local: --aws must not touch a database itself.
    DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none',
  };
  localEnv = { DATABASE_URL: adminUrl, ...tls };
}, 120_000);

afterAll(async () => {
  await readerPool?.end();
  await standIn?.close();
  await postgres?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  certificates?.remove();
});

/** The freshness row depends on when each command ran: its figures are masked. */
const maskFreshness = (text: string) =>
  text.replace(/^( {2}freshness, s since last write) .*$/m, '$1 …');

describe('npm run compare -- --aws', () => {
  it('prints the same table as locally, through the reports function, invoked with a named report', async () => {
    const local = await runScript('compare', window, localEnv);
    const aws = await runScript('compare', ['--aws', ...window], awsEnv);

    expect(local.stderr).toBe('');
    expect(aws.stderr).toBe('');
    expect([local.code, aws.code]).toEqual([0, 0]);
    expect(maskFreshness(aws.stdout)).toBe(maskFreshness(local.stdout));
    expect(aws.stdout).toContain('End-to-end latency, ms');
    expect(standIn.invocations.at(-1)).toBe(FUNCTION);
    expect(standIn.payloads.at(-1)).toEqual({
      report: 'compare',
      since: window[1],
      until: window[3],
    });
  });

  it('gives the same JSON as locally, but for the clock-relative figures', async () => {
    const strip = (text: string) => {
      const report = JSON.parse(text);
      delete report.generatedAt;
      for (const c of Object.values(report.consumers) as Array<Record<string, unknown>>) {
        delete c.freshnessSeconds;
      }
      return report;
    };
    const local = await runScript('compare', [...window, '--json'], localEnv);
    const aws = await runScript('compare', ['--aws', ...window, '--json'], awsEnv);

    expect(aws.code).toBe(0);
    expect(strip(aws.stdout)).toEqual(strip(local.stdout));
  });

  it('names the stack it could not find, with its stage, and exits 3', async () => {
    const { code, stdout, stderr } = await runScript(
      'compare',
      ['--aws', '--stage', 'dev'],
      awsEnv,
    );

    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'No stack Pricestream-dev in us-east-1: deploy it (npm run deploy), or name its stage with --stage\n',
    );
  });

  it('answers a bad window in one line, from the function, and exits 2', async () => {
    const { code, stderr } = await runScript(
      'compare',
      ['--aws', '--since', '2099-01-01T00:00:00Z', '--until', '2h'],
      awsEnv,
    );

    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^--since \(2099-01-01T00:00:00\.000Z\) must be before --until \(.*\)\n$/,
    );
  });

  it('refuses --stage without --aws in one line', async () => {
    const { code, stderr } = await runScript('compare', ['--stage', 'dev'], localEnv);

    expect(code).toBe(2);
    expect(stderr).toBe('--stage goes with --aws (see --help)\n');
  });
});

describe('npm run report -- --aws', () => {
  it('writes the report with the same figures as locally', async () => {
    const dir = path.join(tmpdir(), `pricestream-report-aws-${process.pid}`);
    const figures = async (file: string) => {
      const html = await readFile(file, 'utf8');
      const json = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(
        html,
      )?.[1];
      const data = JSON.parse(json ?? 'null');
      return {
        cdf: data.cdf,
        parts: data.parts,
        throughput: data.throughput,
        completeness: data.completeness,
      };
    };
    const local = await runScript(
      'report',
      ['--out', `${dir}/local.html`, '--no-png', ...window],
      localEnv,
    );
    const aws = await runScript(
      'report',
      ['--aws', '--out', `${dir}/aws.html`, '--no-png', ...window],
      awsEnv,
    );

    expect([local.code, aws.code]).toEqual([0, 0]);
    expect(standIn.payloads.at(-1)).toMatchObject({ report: 'compare', latencyCdf: true });
    const [fromAws, fromLocal] = [
      await figures(`${dir}/aws.html`),
      await figures(`${dir}/local.html`),
    ];
    expect(fromAws.cdf.length).toBe(2);
    expect(fromAws).toEqual(fromLocal);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('the reports function’s database user', () => {
  it('reads and cannot write', async () => {
    const { rows } = await readerPool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM silver.prices',
    );
    expect(rows[0]?.n).toBeGreaterThan(0);

    await expect(
      readerPool.query("DELETE FROM silver.prices WHERE consumer = 'batch'"),
    ).rejects.toThrow(/read-only transaction|permission denied/);
  });

  it('answers a request that is not a named report with the names, never running it', async () => {
    const reports = createHandler({
      pool: async () => readerPool,
      settings: { batchingWindowSeconds: { realtime: 0, batch: 15 } },
    });

    await expect(reports({ sql: 'DELETE FROM silver.prices' })).rejects.toThrow(
      'report must be one of compare, got undefined',
    );
    await expect(reports({ report: 'compare', sql: 'SELECT 1' })).rejects.toThrow(
      'unknown field "sql" for report compare',
    );
  });
});
