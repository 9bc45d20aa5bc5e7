import { Match } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { resource, synth } from './synth.ts';

describe('price stream', () => {
  it('is a provisioned stream with the configured shards, retention and AWS-managed encryption', () => {
    const template = synth({ shardCount: 4, retentionHours: 48 });

    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.hasResource('AWS::Kinesis::Stream', {
      Properties: {
        Name: 'prices',
        ShardCount: 4,
        StreamModeDetails: { StreamMode: 'PROVISIONED' },
        RetentionPeriodHours: 48,
        StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      },
      DeletionPolicy: 'Delete',
    });
  });

  it('defaults to 3 shards, 24 hours', () => {
    const template = synth();

    template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 3,
      RetentionPeriodHours: 24,
    });
  });

  it('has no shard count in on-demand mode', () => {
    const template = synth({ streamMode: 'on-demand', streamName: 'prices-od' });

    template.hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'prices-od',
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      ShardCount: Match.absent(),
    });
  });

  it('outputs the stream, the dead-letter bucket and the function names', () => {
    const template = synth();
    const [streamId] = resource(template, 'AWS::Kinesis::Stream', 'Prices');
    const [bucketId] = resource(template, 'AWS::S3::Bucket', 'DeadLetters');

    template.hasOutput('StreamName', { Value: { Ref: streamId } });
    template.hasOutput('StreamArn', { Value: { 'Fn::GetAtt': [streamId, 'Arn'] } });
    template.hasOutput('DeadLetterBucketName', { Value: { Ref: bucketId } });
    template.resourceCountIs('AWS::SQS::Queue', 0);
    for (const name of ['FetchPrices', 'RealtimeConsumer', 'BatchConsumer', 'Migrate']) {
      const [fnId] = resource(template, 'AWS::Lambda::Function', name);
      template.hasOutput(`${name}FunctionName`, { Value: { Ref: fnId } });
    }
  });
});
