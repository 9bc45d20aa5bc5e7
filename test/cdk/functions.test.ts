import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../cdk/config.ts';
import {
  actionsOf,
  environmentOf,
  projectFunctions,
  resource,
  SECRET_ARN,
  statementsOf,
  synth,
} from './synth.ts';

const SERVICES = ['batch-consumer', 'fetch-prices', 'migrate', 'realtime-consumer', 'rollup'];
const DATABASE_USERS = ['RealtimeConsumer', 'BatchConsumer', 'Migrate', 'Rollup'];

describe('project functions', () => {
  it('are the five handlers, on Node.js 24, arm64, ESM bundles', () => {
    const template = synth();
    const functions = projectFunctions(template);

    expect([...functions.keys()].sort()).toEqual(SERVICES);
    for (const [, fn] of functions.values()) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
      });
    }
  });

  it('log to their own two-week log group, deleted with the stack', () => {
    const template = synth();

    for (const [, fn] of projectFunctions(template).values()) {
      const logGroup = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup;
      expect(template.toJSON().Resources[logGroup.Ref]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 14 },
        DeletionPolicy: 'Delete',
      });
    }
  });

  it('get the log level and metrics namespace from the configuration', () => {
    const template = synth({ logLevel: 'DEBUG', metricsNamespace: 'Bench/Run1' });

    for (const [service, [, fn]] of projectFunctions(template)) {
      expect(environmentOf(fn)).toMatchObject({
        NODE_OPTIONS: '--enable-source-maps',
        LOG_LEVEL: 'DEBUG',
        POWERTOOLS_SERVICE_NAME: service,
        POWERTOOLS_METRICS_NAMESPACE: 'Bench/Run1',
      });
    }
  });
});

describe('database binding', () => {
  it('gives a URL and no secret access when no secret is configured', () => {
    const template = synth();

    for (const id of DATABASE_USERS) {
      const [fnId, fn] = resource(template, 'AWS::Lambda::Function', id);
      expect(environmentOf(fn)).toMatchObject({ DATABASE_URL: expect.any(String) });
      expect(environmentOf(fn)).not.toHaveProperty('DATABASE_SECRET_ARN');
      expect(actionsOf(template, fnId).filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    }
  });

  it('gives the secret ARN and read access to exactly that secret, and no URL, when a secret is configured', () => {
    const template = synth({ databaseSecretArn: SECRET_ARN, databaseSsl: 'require' });

    for (const id of DATABASE_USERS) {
      const [fnId, fn] = resource(template, 'AWS::Lambda::Function', id);
      expect(environmentOf(fn)).toMatchObject({
        DATABASE_SECRET_ARN: SECRET_ARN,
        DATABASE_SSL: 'require',
      });
      expect(environmentOf(fn)).not.toHaveProperty('DATABASE_URL');
      const secretStatements = statementsOf(template, fnId).filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('secretsmanager:')),
      );
      expect(secretStatements).toEqual([
        {
          Effect: 'Allow',
          // Sorted: the minimizePolicies feature flag orders the actions.
          Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
          Resource: SECRET_ARN,
        },
      ]);
    }
  });

  it('never lets fetch-prices read the secret', () => {
    const template = synth({ databaseSecretArn: SECRET_ARN });
    const [fnId, fn] = resource(template, 'AWS::Lambda::Function', 'FetchPrices');

    expect(environmentOf(fn)).not.toHaveProperty('DATABASE_SECRET_ARN');
    expect(actionsOf(template, fnId)).not.toContain('secretsmanager:GetSecretValue');
  });

  it('rejects a partial secret ARN, naming the setting', () => {
    const partial = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pricestream-db';

    expect(() => synth({ databaseSecretArn: partial })).toThrow(ConfigError);
    expect(() => synth({ databaseSecretArn: partial })).toThrow(/"databaseSecretArn"/);
  });
});
