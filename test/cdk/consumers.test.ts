import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { actionsOf, environmentOf, LOCAL_DATABASE_URL, resource, synth } from './synth.ts';

const consumers = [
  { id: 'RealtimeConsumer', service: 'realtime-consumer', queue: 'RealtimeDeadLetterQueue' },
  { id: 'BatchConsumer', service: 'batch-consumer', queue: 'BatchDeadLetterQueue' },
] as const;

describe('consumers', () => {
  it('reads the stream one record at a time, with no batching window (realtime)', () => {
    const template = synth();
    const [fnId] = resource(template, 'AWS::Lambda::Function', 'RealtimeConsumer');
    const [streamId] = resource(template, 'AWS::Kinesis::Stream', 'Prices');
    const [queueId] = resource(template, 'AWS::SQS::Queue', 'RealtimeDeadLetterQueue');

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
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
  });

  it('reads up to 1000 records per 15 s window (batch)', () => {
    const template = synth();
    const [fnId] = resource(template, 'AWS::Lambda::Function', 'BatchConsumer');
    const [streamId] = resource(template, 'AWS::Kinesis::Stream', 'Prices');
    const [queueId] = resource(template, 'AWS::SQS::Queue', 'BatchDeadLetterQueue');

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
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
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

  it('has one TLS-only dead-letter queue each, keeping messages 14 days', () => {
    const template = synth();

    template.resourceCountIs('AWS::SQS::Queue', 2);
    for (const { queue } of consumers) {
      const [queueId, props] = resource(template, 'AWS::SQS::Queue', queue);
      expect(props.Properties.MessageRetentionPeriod).toBe(1_209_600);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('get the database URL and the consumer timeouts from the configuration', () => {
    const template = synth();

    for (const { id, service } of consumers) {
      const [, fn] = resource(template, 'AWS::Lambda::Function', id);
      expect(fn.Properties.Timeout).toBe(id === 'BatchConsumer' ? 60 : 30);
      expect(fn.Properties.MemorySize).toBe(256);
      expect(environmentOf(fn)).toEqual({
        NODE_OPTIONS: '--enable-source-maps',
        LOG_LEVEL: 'INFO',
        POWERTOOLS_SERVICE_NAME: service,
        POWERTOOLS_METRICS_NAMESPACE: 'Pricestream',
        DATABASE_URL: LOCAL_DATABASE_URL,
        DATABASE_SSL: 'disable',
      });
    }
  });

  it('may read the stream and send to their own dead-letter queue, nothing else', () => {
    const template = synth();

    for (const { id } of consumers) {
      const [fnId] = resource(template, 'AWS::Lambda::Function', id);
      const actions = actionsOf(template, fnId);
      expect(actions).toContain('kinesis:GetRecords');
      expect(actions).not.toContain('kinesis:PutRecord');
      expect(actions).not.toContain('kinesis:PutRecords');
      expect(actions.filter((a) => !/^(kinesis|sqs):/.test(a))).toEqual([]);
      expect(actions.filter((a) => a.startsWith('sqs:')).sort()).toEqual([
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ]);
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
