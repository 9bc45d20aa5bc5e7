import { describe, expect, it } from 'vitest';
import { LAMBDA_NODE_RUNTIME } from '../../cdk/node-version.ts';
import { environmentOf, projectFunctions, synth } from './synth.ts';

const SERVICES = [
  'batch-consumer',
  'fetch-prices',
  'migrate',
  'realtime-consumer',
  'reports',
  'rollup',
];

describe('project functions', () => {
  it('are the six handlers, on Node.js 24, arm64, ESM bundles', () => {
    const template = synth();
    const functions = projectFunctions(template);

    expect([...functions.keys()].sort()).toEqual(SERVICES);
    for (const [, fn] of functions.values()) {
      expect(fn.Properties).toMatchObject({
        Runtime: LAMBDA_NODE_RUNTIME,
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
