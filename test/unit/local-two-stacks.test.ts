import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildStackModel } from '../../local/assembly/stack-model.ts';
import { readStackArtifact, TemplateResolver } from '../../local/assembly/template.ts';

let dir: string;

const stack = (dependencies: string[]) => ({
  type: 'aws:cloudformation:stack',
  dependencies,
});

const pipelineTemplate = {
  Resources: {
    Prices0A1B2C3D: { Type: 'AWS::Kinesis::Stream', Properties: { Name: 'prices', ShardCount: 1 } },
    DeadLetters1A2B3C4D: { Type: 'AWS::S3::Bucket', Properties: {} },
    Consumer9F8E7D6C: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        Environment: {
          Variables: {
            DATABASE_HOST: {
              'Fn::GetStackOutput': {
                StackName: 'Pricestream-Data',
                Region: 'us-east-1',
                OutputName: 'ProxyEndpoint',
              },
            },
          },
        },
      },
    },
    Mapping5E6F7A8B: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        FunctionName: { Ref: 'Consumer9F8E7D6C' },
        EventSourceArn: { 'Fn::GetAtt': ['Prices0A1B2C3D', 'Arn'] },
        StartingPosition: 'TRIM_HORIZON',
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': ['DeadLetters1A2B3C4D', 'Arn'] } },
        },
        MetricsConfig: { Metrics: ['EventCount'] },
      },
    },
  },
};

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pricestream-assembly-'));
  await writeFile(
    path.join(dir, 'manifest.json'),
    JSON.stringify({
      artifacts: {
        'Pricestream-Data': stack(['Pricestream-Data.assets']),
        Pricestream: stack(['Pricestream-Data', 'Pricestream.assets']),
      },
    }),
  );
  await writeFile(path.join(dir, 'Pricestream-Data.template.json'), '{"Resources":{}}');
  await writeFile(path.join(dir, 'Pricestream.template.json'), JSON.stringify(pipelineTemplate));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('an assembly with the stateful and the pipeline stack', () => {
  it('runs the stack no other stack depends on: the pipeline', async () => {
    const artifact = await readStackArtifact(dir);

    expect(artifact.stackName).toBe('Pricestream');
  });

  it('still runs a named stack', async () => {
    expect((await readStackArtifact(dir, 'Pricestream-Data')).stackName).toBe('Pricestream-Data');
  });

  it('reads another stack’s output as a placeholder that names it', () => {
    const resolver = new TemplateResolver(pipelineTemplate, { stackName: 'Pricestream' });

    expect(resolver.resolve({ 'Fn::ImportValue': 'Pricestream-Data:Endpoint' }, 'test')).toBe(
      '(Fn::ImportValue "Pricestream-Data:Endpoint")',
    );
  });

  it('treats an S3 bucket as the mapping’s on-failure destination and takes MetricsConfig without a warning', async () => {
    const model = buildStackModel(await readStackArtifact(dir));
    const [mapping] = model.mappings;

    expect(mapping?.onFailureDestination).toBe('arn:aws:s3:::Pricestream-DeadLetters1A2B3C4D');
    expect(mapping?.unsupported).toEqual([]);
    expect(model.functions[0]?.environment.DATABASE_HOST).toBe(
      '(Fn::GetStackOutput {"StackName":"Pricestream-Data","Region":"us-east-1","OutputName":"ProxyEndpoint"})',
    );
  });
});
