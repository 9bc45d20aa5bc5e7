import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildStackModel, locateHandler } from '../../local/assembly/stack-model.ts';
import {
  type CfnTemplate,
  TemplateError,
  TemplateResolver,
} from '../../local/assembly/template.ts';
import { fixtureTemplate, HANDLERS_DIR } from '../fixtures/local/assembly.ts';

const template: CfnTemplate = {
  Parameters: { Env: { Type: 'String', Default: 'dev' } },
  Conditions: {
    InChina: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'cn-north-1'] },
    NotInChina: { 'Fn::Not': [{ Condition: 'InChina' }] },
  },
  Mappings: { Sizes: { dev: { shards: 2 } } },
  Resources: {
    Prices0A1B2C3D: { Type: 'AWS::Kinesis::Stream', Properties: { Name: 'prices', ShardCount: 3 } },
    Unnamed1234ABCD: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1 } },
    Fetch9F8E7D6C: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs22.x' } },
    FetchRole11111111: { Type: 'AWS::IAM::Role', Properties: {} },
    Dlq22222222: { Type: 'AWS::SQS::Queue' },
    Mapping33333333: { Type: 'AWS::Lambda::EventSourceMapping', Properties: {} },
    Topic44444444: { Type: 'AWS::SNS::Topic' },
  },
};

const resolver = new TemplateResolver(template, { stackName: 'Pricestream' });
const resolve = (value: unknown) => resolver.resolve(value);

describe('template intrinsics', () => {
  it('resolves Ref to names, ids and parameters', () => {
    expect(resolve({ Ref: 'Prices0A1B2C3D' })).toBe('prices');
    expect(resolve({ Ref: 'Unnamed1234ABCD' })).toBe('Pricestream-Unnamed1234ABCD');
    expect(resolve({ Ref: 'Fetch9F8E7D6C' })).toBe('Pricestream-Fetch9F8E7D6C');
    expect(resolve({ Ref: 'Dlq22222222' })).toBe(
      'https://sqs.us-east-1.amazonaws.com/000000000000/Pricestream-Dlq22222222',
    );
    expect(resolve({ Ref: 'Topic44444444' })).toBe(
      'arn:aws:sns:us-east-1:000000000000:Pricestream-Topic44444444',
    );
    expect(resolve({ Ref: 'Mapping33333333' })).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(resolve({ Ref: 'Mapping33333333' })).toBe(resolve({ Ref: 'Mapping33333333' }));
    expect(resolve({ Ref: 'Env' })).toBe('dev');
  });

  it('resolves pseudo parameters', () => {
    expect(
      resolve([
        { Ref: 'AWS::Region' },
        { Ref: 'AWS::AccountId' },
        { Ref: 'AWS::Partition' },
        { Ref: 'AWS::StackName' },
        { Ref: 'AWS::URLSuffix' },
      ]),
    ).toEqual(['us-east-1', '000000000000', 'aws', 'Pricestream', 'amazonaws.com']);
    expect(resolve({ Ref: 'AWS::StackId' })).toMatch(
      /^arn:aws:cloudformation:us-east-1:000000000000:stack\/Pricestream\/[0-9a-f-]{36}$/,
    );
  });

  it('resolves Fn::GetAtt Arn per resource type, in both notations', () => {
    expect(resolve({ 'Fn::GetAtt': ['Prices0A1B2C3D', 'Arn'] })).toBe(
      'arn:aws:kinesis:us-east-1:000000000000:stream/prices',
    );
    expect(resolve({ 'Fn::GetAtt': 'Fetch9F8E7D6C.Arn' })).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:Pricestream-Fetch9F8E7D6C',
    );
    expect(resolve({ 'Fn::GetAtt': ['FetchRole11111111', 'Arn'] })).toBe(
      'arn:aws:iam::000000000000:role/Pricestream-FetchRole11111111',
    );
    expect(resolve({ 'Fn::GetAtt': ['Dlq22222222', 'Arn'] })).toBe(
      'arn:aws:sqs:us-east-1:000000000000:Pricestream-Dlq22222222',
    );
    expect(() => resolve({ 'Fn::GetAtt': ['Prices0A1B2C3D', 'Nope'] })).toThrow(TemplateError);
  });

  it('resolves Fn::Join, Fn::Sub, Fn::Select, Fn::Split and Fn::FindInMap', () => {
    expect(resolve({ 'Fn::Join': ['-', ['a', { Ref: 'Prices0A1B2C3D' }, 3]] })).toBe('a-prices-3');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub syntax, not JavaScript
    expect(resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:x:${AWS::Region}:${Prices0A1B2C3D}' })).toBe(
      'arn:aws:x:us-east-1:prices',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub syntax, not JavaScript
    expect(resolve({ 'Fn::Sub': '${Prices0A1B2C3D.Arn}/${!Literal}' })).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub syntax, not JavaScript
      'arn:aws:kinesis:us-east-1:000000000000:stream/prices/${Literal}',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub syntax, not JavaScript
    expect(resolve({ 'Fn::Sub': ['${Name}-${Env}', { Name: { Ref: 'Prices0A1B2C3D' } }] })).toBe(
      'prices-dev',
    );
    expect(resolve({ 'Fn::Select': [1, ['a', 'b', 'c']] })).toBe('b');
    expect(resolve({ 'Fn::Select': [0, { 'Fn::Split': ['/', 'x/y/z'] }] })).toBe('x');
    expect(resolve({ 'Fn::Select': [2, { 'Fn::GetAZs': '' }] })).toBe('us-east-1c');
    expect(resolve({ 'Fn::FindInMap': ['Sizes', { Ref: 'Env' }, 'shards'] })).toBe(2);
  });

  it('evaluates conditions and drops AWS::NoValue', () => {
    expect(
      resolve({
        A: { 'Fn::If': ['InChina', 'china', 'elsewhere'] },
        B: { 'Fn::If': ['NotInChina', { Ref: 'AWS::NoValue' }, 'kept'] },
        C: ['x', { Ref: 'AWS::NoValue' }, 'y'],
      }),
    ).toEqual({ A: 'elsewhere', C: ['x', 'y'] });
  });

  it('fails with a message naming the property for what it cannot resolve', () => {
    expect(() => resolver.resolve({ 'Fn::Cidr': ['10.0.0.0/16', 4, 8] }, 'Fn.Environment')).toThrow(
      /Fn\.Environment \(Fn::Cidr\): Fn::Cidr is not supported/,
    );
    expect(() => resolve({ Ref: 'Missing' })).toThrow(/Ref to unknown Missing/);
  });
});

describe('stack model', () => {
  const artifact = {
    stackName: 'Fixture',
    assemblyDir: '/nowhere',
    templateFile: '/nowhere/Fixture.template.json',
    template: fixtureTemplate({
      streamName: 'prices-test',
      shardCount: 3,
      mapping: {
        BatchSize: 1000,
        MaximumBatchingWindowInSeconds: 15,
        BisectBatchOnFunctionError: true,
      },
      schedule: { expression: 'rate(1 minute)' },
    }),
  };

  it('reads streams, functions, schedules, mappings and custom resources', () => {
    const model = buildStackModel(artifact);

    expect(model.streams).toEqual([
      {
        logicalId: 'Prices0A1B2C3D',
        name: 'prices-test',
        arn: 'arn:aws:kinesis:us-east-1:000000000000:stream/prices-test',
        shardCount: 3,
        onDemand: false,
        retentionHours: 24,
      },
    ]);
    const consumer = model.functions.find((f) => f.displayName === 'Consumer');
    expect(consumer).toMatchObject({
      functionName: 'Fixture-Consumer5E6F7A8B',
      timeoutSeconds: 10,
      memoryMb: 256,
      environment: { STREAM_NAME: 'prices-test' },
      code: { entryFile: path.join(HANDLERS_DIR, 'consumer.mjs'), handlerPath: 'handler' },
      roleArn: 'arn:aws:iam::000000000000:role/Fixture-ConsumerServiceRole1A2B3C4D',
    });
    const framework = model.functions.find((f) => f.displayName === 'framework-onEvent');
    expect(framework?.code).toBeUndefined();
    expect(framework?.notHostedBecause).toMatch(/provider framework/);
    expect(model.rules).toMatchObject([
      {
        scheduleExpression: 'rate(1 minute)',
        enabled: true,
        targets: [{ functionLogicalId: 'Scheduled2B3C4D5E', input: undefined }],
      },
    ]);
    expect(model.mappings).toMatchObject([
      {
        functionLogicalId: 'Consumer5E6F7A8B',
        streamName: 'prices-test',
        batchSize: 1000,
        maximumBatchingWindowSeconds: 15,
        bisectBatchOnFunctionError: true,
        reportBatchItemFailures: true,
        startingPosition: 'TRIM_HORIZON',
        onFailureDestination: 'arn:aws:sqs:us-east-1:000000000000:Fixture-ConsumerDlq9C8D7E6F',
        consumer: undefined,
      },
    ]);
    expect(model.customResources).toMatchObject([
      {
        logicalId: 'Migrations',
        type: 'Custom::Migrations',
        serviceFunctionLogicalId: 'MigrationsProviderframeworkonEvent33437111',
        properties: { Count: '2', Hash: 'abc123', Stream: 'prices-test' },
      },
    ]);
  });

  it('gives on-demand streams a local shard count', () => {
    const onDemand = structuredClone(artifact);
    const stream = onDemand.template.Resources.Prices0A1B2C3D;
    if (!stream?.Properties) throw new Error('fixture has no stream');
    delete stream.Properties.ShardCount;
    stream.Properties.StreamModeDetails = { StreamMode: 'ON_DEMAND' };

    expect(buildStackModel(onDemand).streams[0]).toMatchObject({ shardCount: 4, onDemand: true });
  });

  it('finds the bundled handler file next to the asset', () => {
    expect(locateHandler(HANDLERS_DIR, 'probe.callbackHandler')).toEqual({
      entryFile: path.join(HANDLERS_DIR, 'probe.mjs'),
      handlerPath: 'callbackHandler',
    });
    expect(locateHandler(HANDLERS_DIR, 'missing.handler')).toMatch(
      /missing\.mjs\/\.js\/\.cjs is not in/,
    );
    expect(locateHandler('/no/such/asset', 'index.handler')).toMatch(/is missing/);
  });
});

describe('stack model names', () => {
  it('falls back to logical ids when two functions share a short name', () => {
    const template = fixtureTemplate({ streamName: 's', mapping: false });
    const scheduled = template.Resources.Scheduled2B3C4D5E;
    if (!scheduled) throw new Error('fixture has no scheduled function');
    template.Resources.Other9A9A9A9A = {
      ...structuredClone(scheduled),
      Metadata: { ...scheduled.Metadata, 'aws:cdk:path': 'Fixture/Nested/Scheduled/Resource' },
    };

    const model = buildStackModel({
      stackName: 'Fixture',
      assemblyDir: '/x',
      templateFile: '/x/t',
      template,
    });

    expect(
      model.functions
        .map((f) => f.displayName)
        .filter((n) => n.startsWith('Scheduled') || n.startsWith('Other')),
    ).toEqual(['Scheduled2B3C4D5E', 'Other9A9A9A9A']);
  });
});
