import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { actionsOf, resource, statementsOf, synth } from './synth.ts';

/** The function's IAM statements whose resource is a registered stream consumer. */
function consumerStatements(template: Template, functionId: string) {
  const consumers = Object.keys(template.findResources('AWS::Kinesis::StreamConsumer'));
  return statementsOf(template, functionId).filter((statement) => {
    const target = (statement.Resource as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    return target !== undefined && consumers.includes(target[0]);
  });
}

describe('enhanced fan-out', () => {
  it('registers no stream consumer by default', () => {
    const template = synth();

    template.resourceCountIs('AWS::Kinesis::StreamConsumer', 0);
    const [fnId] = resource(template, 'AWS::Lambda::Function', 'RealtimeConsumer');
    expect(consumerStatements(template, fnId)).toEqual([]);
  });

  it('registers a consumer on the stream and maps the realtime function to it', () => {
    const template = synth({ realtime: { enhancedFanOut: true } });
    const [streamId] = resource(template, 'AWS::Kinesis::Stream', 'Prices');
    const [consumerId] = resource(
      template,
      'AWS::Kinesis::StreamConsumer',
      'RealtimeStreamConsumer',
    );
    const [fnId] = resource(template, 'AWS::Lambda::Function', 'RealtimeConsumer');
    const [bucketId] = resource(template, 'AWS::S3::Bucket', 'DeadLetters');

    template.resourceCountIs('AWS::Kinesis::StreamConsumer', 1);
    template.hasResourceProperties('AWS::Kinesis::StreamConsumer', {
      ConsumerName: 'realtime-consumer',
      StreamARN: { 'Fn::GetAtt': [streamId, 'Arn'] },
    });
    // The mapping keeps every setting of the polled one; only its source changes.
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fnId },
      EventSourceArn: { 'Fn::GetAtt': [consumerId, 'ConsumerARN'] },
      BatchSize: 1,
      MaximumBatchingWindowInSeconds: Match.absent(),
      BisectBatchOnFunctionError: true,
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [bucketId, 'Arn'] } } },
    });
  });

  it('leaves the batch consumer polling the stream', () => {
    const template = synth({ realtime: { enhancedFanOut: true } });
    const [streamId] = resource(template, 'AWS::Kinesis::Stream', 'Prices');
    const [fnId] = resource(template, 'AWS::Lambda::Function', 'BatchConsumer');

    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fnId },
      EventSourceArn: { 'Fn::GetAtt': [streamId, 'Arn'] },
      MaximumBatchingWindowInSeconds: 15,
    });
    // CDK's stream read grant lists SubscribeToShard too, but only on the stream's ARN.
    expect(consumerStatements(template, fnId)).toEqual([]);
  });

  it('grants SubscribeToShard and DescribeStreamConsumer on the consumer', () => {
    const template = synth({ realtime: { enhancedFanOut: true } });
    const [consumerId] = resource(
      template,
      'AWS::Kinesis::StreamConsumer',
      'RealtimeStreamConsumer',
    );
    const [fnId] = resource(template, 'AWS::Lambda::Function', 'RealtimeConsumer');

    const onConsumer = consumerStatements(template, fnId);
    expect(onConsumer.map((s) => s.Resource)).toEqual([
      { 'Fn::GetAtt': [consumerId, 'ConsumerARN'] },
    ]);
    expect(onConsumer.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'kinesis:DescribeStreamConsumer',
      'kinesis:SubscribeToShard',
    ]);
    expect(actionsOf(template, fnId)).toEqual(
      expect.arrayContaining(['kinesis:DescribeStreamSummary', 'kinesis:ListShards']),
    );
  });

  it('gives each consumer its own registration when both use enhanced fan-out', () => {
    const template = synth({
      realtime: { enhancedFanOut: true },
      batch: { enhancedFanOut: true },
    });
    const [consumerId] = resource(template, 'AWS::Kinesis::StreamConsumer', 'BatchStreamConsumer');
    const [fnId] = resource(template, 'AWS::Lambda::Function', 'BatchConsumer');

    template.resourceCountIs('AWS::Kinesis::StreamConsumer', 2);
    template.hasResourceProperties('AWS::Kinesis::StreamConsumer', {
      ConsumerName: 'batch-consumer',
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fnId },
      EventSourceArn: { 'Fn::GetAtt': [consumerId, 'ConsumerARN'] },
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 15,
    });
  });

  it('reads the switch from CDK context, as `-c pricestream:realtime.enhancedFanOut=true` gives it', async () => {
    const { configFromContext } = await import('../../cdk/config.ts');
    const context: Record<string, unknown> = {
      'pricestream:realtime.enhancedFanOut': 'true',
    };

    const config = configFromContext((key) => context[key]);

    expect(config.realtime.enhancedFanOut).toBe(true);
    expect(config.batch.enhancedFanOut).toBe(false);
  });
});
