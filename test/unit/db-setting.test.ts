import { describe, expect, it } from 'vitest';
import { awsCredentials, databaseSettingFromEnv } from '../../lambdas/shared/db.ts';
import { EnvError } from '../../lambdas/shared/env.ts';

const IAM_ENV = {
  DATABASE_AUTH: 'iam',
  DATABASE_HOST: 'pricestream.proxy-abc.eu-west-1.rds.amazonaws.com',
  DATABASE_PORT: '5432',
  DATABASE_NAME: 'pricestream',
  DATABASE_USER: 'pricestream_admin',
  DATABASE_SSL: 'verify-full',
  AWS_REGION: 'eu-west-1',
};

describe('the database a function is given', () => {
  it('reads IAM authentication through the proxy from the variables the stack sets', () => {
    expect(databaseSettingFromEnv(IAM_ENV)).toEqual({
      kind: 'iam',
      host: 'pricestream.proxy-abc.eu-west-1.rds.amazonaws.com',
      port: 5432,
      database: 'pricestream',
      user: 'pricestream_admin',
      region: 'eu-west-1',
      ssl: { mode: 'verify-full', ca: undefined },
    });
  });

  it('lets DATABASE_URL win, as the local runtime sets it over the AWS variables', () => {
    const setting = databaseSettingFromEnv({
      ...IAM_ENV,
      DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:54329/pricestream',
      DATABASE_SSL: 'disable',
    });

    expect(setting).toEqual({
      kind: 'url',
      url: 'postgres://postgres:postgres@127.0.0.1:54329/pricestream',
      ssl: { mode: 'disable' },
    });
  });

  it('reads the old DATABASE_SSL=require as verify-full', () => {
    const setting = databaseSettingFromEnv({
      DATABASE_URL: 'postgres://h/db',
      DATABASE_SSL: 'require',
    });

    expect(setting.ssl).toEqual({ mode: 'verify-full', ca: undefined });
  });

  it('refuses IAM authentication without TLS, and names what is missing', () => {
    expect(() => databaseSettingFromEnv({ ...IAM_ENV, DATABASE_SSL: 'disable' })).toThrow(
      'IAM authentication needs TLS: set DATABASE_SSL=verify-full',
    );
    expect(() => databaseSettingFromEnv({ ...IAM_ENV, DATABASE_HOST: '' })).toThrow(
      'Missing environment variable DATABASE_HOST',
    );
    expect(() => databaseSettingFromEnv({})).toThrow(EnvError);
  });

  it('names a CA file it cannot read', () => {
    expect(() =>
      databaseSettingFromEnv({
        DATABASE_URL: 'postgres://h/db',
        DATABASE_SSL: 'verify-full',
        DATABASE_SSL_CA_FILE: '/nonexistent/ca.pem',
      }),
    ).toThrow(/^DATABASE_SSL_CA_FILE=\/nonexistent\/ca\.pem cannot be read/);
  });
});

describe('the IAM token', () => {
  it('is signed locally by @aws-sdk/rds-signer for the host, port and user, with no call to AWS', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: '',
    });
    try {
      const setting = databaseSettingFromEnv(IAM_ENV);
      if (setting.kind !== 'iam') throw new Error('expected an IAM setting');

      const token = await awsCredentials.signToken(setting);

      expect(token).toMatch(
        /^pricestream\.proxy-abc\.eu-west-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=pricestream_admin&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F\d{8}%2Feu-west-1%2Frds-db%2Faws4_request&/,
      );
      expect(token).toContain('X-Amz-Expires=900');
    } finally {
      process.env = saved;
    }
  });
});
