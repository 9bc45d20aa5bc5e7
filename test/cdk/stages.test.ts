/**
 * Two stages of the app in one account (and one region) do not collide: the
 * stacks differ by name, and every name the templates choose themselves
 * (rather than leaving it to CloudFormation) carries the stage.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synthApp } from './synth.ts';

const ENV = { account: '123456789012', region: 'eu-west-1' };

/** Properties that give a resource a name of the template's choosing. */
const NAME_PROPERTIES = [
  'Name',
  'StreamName',
  'ConsumerName',
  'DashboardName',
  'FunctionName',
  'RoleName',
  'BucketName',
  'TopicName',
  'QueueName',
  'LogGroupName',
  'DBClusterIdentifier',
  'DBInstanceIdentifier',
  'DBProxyName',
  'DBSubnetGroupName',
  'AlarmName',
];

/** Chosen names, scoped as AWS scopes them; stream consumers are per stream, so skipped. */
function chosenNames(template: Template): string[] {
  const names: string[] = [];
  for (const [id, resource] of Object.entries(template.toJSON().Resources ?? {})) {
    const { Type, Properties = {} } = resource as {
      Type: string;
      Properties?: Record<string, unknown>;
    };
    if (Type === 'AWS::Kinesis::StreamConsumer') continue;
    for (const key of NAME_PROPERTIES) {
      const value = Properties[key];
      // A Ref or GetAtt points at another resource's (generated) name; literals and joins are chosen.
      const chosen =
        typeof value === 'string' ||
        (typeof value === 'object' && value !== null && 'Fn::Join' in value);
      if (chosen) names.push(`${Type} ${JSON.stringify(value)} (${id})`);
    }
  }
  return names;
}

describe('stages', () => {
  const dev = synthApp({ stage: 'dev' }, { env: ENV });
  const prod = synthApp({ stage: 'prod' }, { env: ENV });

  it('name their stacks apart', () => {
    expect([dev.pipelineStack.stackName, dev.dataStack?.stackName]).toEqual([
      'Pricestream-dev',
      'Pricestream-dev-Data',
    ]);
    expect([prod.pipelineStack.stackName, prod.dataStack?.stackName]).toEqual([
      'Pricestream-prod',
      'Pricestream-prod-Data',
    ]);
  });

  it('share no name they choose themselves', () => {
    const devNames = [dev.pipeline, dev.data as Template].flatMap(chosenNames);
    const prodNames = new Set(
      [prod.pipeline, prod.data as Template].flatMap(chosenNames).map(nameOnly),
    );

    expect(devNames.length).toBeGreaterThan(0);
    expect(devNames.filter((name) => prodNames.has(nameOnly(name)))).toEqual([]);
  });

  it('tag their resources with the project and the stage', () => {
    for (const [app, stage] of [
      [dev, 'dev'],
      [prod, 'prod'],
    ] as const) {
      app.pipeline.hasResourceProperties('AWS::Kinesis::Stream', {
        Tags: [
          { Key: 'project', Value: 'pricestream' },
          { Key: 'stage', Value: stage },
        ],
      });
      app.data?.hasResourceProperties('AWS::RDS::DBCluster', {
        Tags: [
          { Key: 'project', Value: 'pricestream' },
          { Key: 'stage', Value: stage },
        ],
      });
    }
  });
});

/** `Type "name"`: the name without the logical id, which is the same in both stages. */
function nameOnly(entry: string): string {
  return entry.replace(/ \([^)]*\)$/, '');
}
