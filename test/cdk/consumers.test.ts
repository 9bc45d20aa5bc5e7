import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { actionsOf, environmentOf, resource, statementsOf, synth } from './synth.ts';

const consumers = [
  { id: 'RealtimeConsumer', service: 'realtime-consumer' },
  { id: 'BatchConsumer', service: 'batch-consumer' },
] as const;

describe('consumers', () => {
  it('reads the stream one record at a time, with no batching window (realtime)', () => {
    const template = synth();
    const [fnId] = resource(template, 'AWS::Lambda::Function', 'RealtimeConsumer');
    const [streamId] = resource(template, 'AWS::Kinesis::Stream', 'Prices');
    const [bucketId] = resource(template, 'AWS::S3::Bucket', 'DeadLetters');

    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fnId },
      EventSourceArn: { 'Fn::GetAtt': [streamId, 'Arn'] },
      BatchSize: 1,
      MaximumBatchingWindowInSeconds: Match.absent(),
      ParallelizationFactor: 1,
      MaximumRetryAttempts: 100,
      MaximumRecordAgeInSeconds: 21600,
      BisectBatchOnFunctionError: true,
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [bucketId, 'Arn'] } } },
      MetricsConfig: { Metrics: ['EventCount'] },
    });
  });

  it('reads up to 1000 records per 15 s window (batch)', () => {
    const template = synth();
    const [fnId] = resource(template, 'AWS::Lambda::Function', 'BatchConsumer');
    const [streamId] = resource(template, 'AWS::Kinesis::Stream', 'Prices');
    const [bucketId] = resource(template, 'AWS::S3::Bucket', 'DeadLetters');

    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fnId },
      EventSourceArn: { 'Fn::GetAtt': [streamId, 'Arn'] },
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 15,
      ParallelizationFactor: 1,
      MaximumRetryAttempts: 100,
      MaximumRecordAgeInSeconds: 21600,
      BisectBatchOnFunctionError: true,
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [bucketId, 'Arn'] } } },
      MetricsConfig: { Metrics: ['EventCount'] },
    });
  });

  it('passes the configured mapping settings through, -1 meaning unlimited', () => {
    const template = synth({
      realtime: {
        parallelizationFactor: 4,
        maxRetryAttempts: -1,
        maxRecordAgeSeconds: -1,
        bisectOnError: false,
        startingPosition: 'LATEST',
        timeoutSeconds: 10,
        memoryMb: 512,
      },
      batch: { batchSize: 10_000, batchingWindowSeconds: 300, maxRetryAttempts: 0 },
    });
    const [realtimeId, realtime] = resource(template, 'AWS::Lambda::Function', 'RealtimeConsumer');
    const [batchId] = resource(template, 'AWS::Lambda::Function', 'BatchConsumer');

    expect(realtime.Properties).toMatchObject({ Timeout: 10, MemorySize: 512 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: realtimeId },
      ParallelizationFactor: 4,
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: Match.absent(),
      BisectBatchOnFunctionError: false,
      StartingPosition: 'LATEST',
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: batchId },
      BatchSize: 10_000,
      MaximumBatchingWindowInSeconds: 300,
      MaximumRetryAttempts: 0,
    });
  });

  it('send what they give up on to one private, encrypted, TLS-only bucket that keeps it 90 days and survives the stack', () => {
    const template = synth();
    const [bucketId, bucket] = resource(template, 'AWS::S3::Bucket', 'DeadLetters');

    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    expect(bucket).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: { Rules: [{ ExpirationInDays: 90, Status: 'Enabled' }] },
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    const days = resource(
      synth({ deadLetterRetentionDays: 7 }),
      'AWS::S3::Bucket',
      'DeadLetters',
    )[1];
    expect(days.Properties.LifecycleConfiguration).toEqual({
      Rules: [{ ExpirationInDays: 7, Status: 'Enabled' }],
    });
  });

  it('run in the database network, reach PostgreSQL with IAM authentication, and get their timeouts from the configuration', () => {
    const template = synth();

    for (const { id, service } of consumers) {
      const [, fn] = resource(template, 'AWS::Lambda::Function', id);
      expect(fn.Properties.Timeout).toBe(id === 'BatchConsumer' ? 60 : 30);
      expect(fn.Properties.MemorySize).toBe(256);
      expect(fn.Properties.VpcConfig).toBeDefined();
      expect(environmentOf(fn)).toMatchObject({
        NODE_OPTIONS: '--enable-source-maps',
        LOG_LEVEL: 'INFO',
        POWERTOOLS_SERVICE_NAME: service,
        POWERTOOLS_METRICS_NAMESPACE: 'Pricestream',
        DATABASE_AUTH: 'iam',
        DATABASE_SSL: 'verify-full',
      });
    }
  });

  it('may read the stream, write their dead letters and connect to the database, nothing else', () => {
    const template = synth();
    const [bucketId] = resource(template, 'AWS::S3::Bucket', 'DeadLetters');

    for (const { id } of consumers) {
      const [fnId] = resource(template, 'AWS::Lambda::Function', id);
      const actions = actionsOf(template, fnId);
      expect(actions).toContain('kinesis:GetRecords');
      expect(actions).not.toContain('kinesis:PutRecord');
      expect(actions).not.toContain('kinesis:PutRecords');
      expect(actions.filter((a) => !/^(kinesis|s3|rds-db):/.test(a))).toEqual([]);
      expect(actions).toContain('rds-db:connect');
      expect(actions).toContain('s3:PutObject');
      const s3 = statementsOf(template, fnId).filter((st) =>
        [st.Action].flat().some((a) => a.startsWith('s3:')),
      );
      expect(JSON.stringify(s3.map((st) => st.Resource))).toContain(bucketId);
      expect(JSON.stringify(s3.map((st) => st.Resource))).not.toContain('"*"');
    }
  });

  it('do not start before the migrations ran', () => {
    const template = synth();
    const [migrationsId] = resource(template, 'Custom::Migrations', 'Migrations');

    for (const { id } of consumers) {
      const [fnId, fn] = resource(template, 'AWS::Lambda::Function', id);
      expect(fn.DependsOn).toContain(migrationsId);
      const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { FunctionName: { Ref: fnId } },
      });
      const mapping = Object.values(mappings)[0] as { DependsOn?: string[] };
      expect(mapping.DependsOn).toContain(migrationsId);
    }
  });
});
