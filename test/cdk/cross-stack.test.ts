/**
 * What the pipeline stack takes from the data stack: strong references
 * (exports and Fn::ImportValue, which CloudFormation keeps consistent), every
 * intrinsic function only where CloudFormation allows it, and a pipeline
 * template that changes when a data-stack output does.
 */
import { App, type CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { addPricestreamStacks } from '../../cdk/app-stacks.ts';
import { parseConfig } from '../../cdk/config.ts';
import { EXTERNAL, EXTERNAL_IN_VPC, FEATURE_FLAGS, LOCALSTACK, synthApp } from './synth.ts';

type Json = unknown;

/**
 * The functions each intrinsic function accepts inside it, from the
 * "Supported functions" section of its page in the CloudFormation template
 * reference (Fn::GetStackOutput: resource properties, Fn::Join, Fn::If,
 * Fn::Select, Fn::Sub, Fn::Base64 and outputs, as cfn-lint's tests have it).
 */
const ALLOWED_INSIDE: Record<string, readonly string[]> = {
  'Fn::Join': [
    'Fn::Base64',
    'Fn::FindInMap',
    'Fn::GetAtt',
    'Fn::GetAZs',
    'Fn::If',
    'Fn::ImportValue',
    'Fn::Join',
    'Fn::Split',
    'Fn::Select',
    'Fn::Sub',
    'Ref',
    'Fn::GetStackOutput',
  ],
  // The list argument; the index takes Ref and Fn::FindInMap only (checked apart).
  'Fn::Select': [
    'Fn::FindInMap',
    'Fn::GetAtt',
    'Fn::GetAZs',
    'Fn::If',
    'Fn::Split',
    'Ref',
    'Fn::GetStackOutput',
  ],
  'Fn::Split': [
    'Fn::Base64',
    'Fn::FindInMap',
    'Fn::GetAtt',
    'Fn::GetAZs',
    'Fn::If',
    'Fn::ImportValue',
    'Fn::Join',
    'Fn::Select',
    'Fn::Sub',
    'Ref',
  ],
  'Fn::Sub': [
    'Fn::Base64',
    'Fn::FindInMap',
    'Fn::GetAtt',
    'Fn::GetAZs',
    'Fn::If',
    'Fn::ImportValue',
    'Fn::Join',
    'Fn::Select',
    'Ref',
    'Fn::GetStackOutput',
  ],
  'Fn::If': [
    'Fn::Base64',
    'Fn::FindInMap',
    'Fn::GetAtt',
    'Fn::GetAZs',
    'Fn::If',
    'Fn::ImportValue',
    'Fn::Join',
    'Fn::Select',
    'Fn::Sub',
    'Ref',
    'Fn::GetStackOutput',
  ],
  'Fn::ImportValue': [
    'Fn::Base64',
    'Fn::FindInMap',
    'Fn::If',
    'Fn::Join',
    'Fn::Select',
    'Fn::Split',
    'Fn::Sub',
    'Ref',
  ],
  'Fn::GetAZs': ['Ref'],
  'Fn::GetAtt': ['Ref'],
  'Fn::FindInMap': ['Fn::FindInMap', 'Ref'],
  'Fn::GetStackOutput': ['Ref'],
  'Fn::Base64': [
    'Fn::FindInMap',
    'Fn::GetAtt',
    'Fn::If',
    'Fn::ImportValue',
    'Fn::Join',
    'Fn::Select',
    'Fn::Sub',
    'Ref',
    'Fn::GetStackOutput',
  ],
};

const intrinsicOf = (node: Json): [string, Json] | undefined => {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
  const entries = Object.entries(node);
  const [name, args] = entries[0] ?? [];
  return entries.length === 1 && name && (name === 'Ref' || name.startsWith('Fn::'))
    ? [name, args]
    : undefined;
};

/** The intrinsics directly inside `node` (not inside another intrinsic). */
function childIntrinsics(node: Json): string[] {
  const own = intrinsicOf(node);
  if (own) return [own[0]];
  if (Array.isArray(node)) return node.flatMap(childIntrinsics);
  if (node !== null && typeof node === 'object')
    return Object.values(node).flatMap(childIntrinsics);
  return [];
}

/** `where: outer > inner` for every intrinsic nested where CloudFormation does not allow it. */
function misplacedIntrinsics(template: Json, where = ''): string[] {
  const own = intrinsicOf(template);
  if (own) {
    const [name, args] = own;
    const problems: string[] = [];
    let inside = childIntrinsics(args);
    if (name === 'Fn::Select' && Array.isArray(args)) {
      const index = childIntrinsics(args[0]).filter((f) => !['Ref', 'Fn::FindInMap'].includes(f));
      problems.push(...index.map((f) => `${where}: Fn::Select index > ${f}`));
      inside = childIntrinsics(args[1]);
    }
    const allowed = ALLOWED_INSIDE[name];
    if (allowed) {
      problems.push(
        ...inside.filter((f) => !allowed.includes(f)).map((f) => `${where}: ${name} > ${f}`),
      );
    }
    return [...problems, ...misplacedIntrinsics(args, `${where}.${name}`)];
  }
  if (Array.isArray(template)) {
    return template.flatMap((item, i) => misplacedIntrinsics(item, `${where}[${i}]`));
  }
  if (template !== null && typeof template === 'object') {
    return Object.entries(template).flatMap(([key, value]) =>
      misplacedIntrinsics(value, where ? `${where}.${key}` : key),
    );
  }
  return [];
}

/** Every value of `key` anywhere in `node`. */
function valuesOf(node: Json, key: string): Json[] {
  if (Array.isArray(node)) return node.flatMap((n) => valuesOf(n, key));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => (k === key ? [v] : valuesOf(v, key)));
}

describe('the stacks’ templates', () => {
  it.each([
    ['Aurora behind the proxy (the default)', {}],
    ['Aurora straight to the cluster', { database: { proxy: false } }],
    ['an external database', EXTERNAL],
    ['an external database in a VPC, its secret under a KMS key', EXTERNAL_IN_VPC],
    ['LocalStack', LOCALSTACK],
  ])(
    'have no Fn::GetStackOutput, and no intrinsic inside one that does not allow it: %s',
    (_name, raw) => {
      const { pipeline, data } = synthApp(raw);
      for (const template of [pipeline, data]) {
        if (!template) continue;
        expect(valuesOf(template.toJSON(), 'Fn::GetStackOutput')).toEqual([]);
        expect(misplacedIntrinsics(template.toJSON())).toEqual([]);
      }
    },
  );

  it('the checker finds what the weak references built: Fn::GetStackOutput inside Fn::Split', () => {
    const template = {
      Resources: {
        Policy: {
          Properties: {
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  {
                    'Fn::Select': [
                      6,
                      { 'Fn::Split': [':', { 'Fn::GetStackOutput': { OutputName: 'ProxyArn' } }] },
                    ],
                  },
                ],
              ],
            },
          },
        },
      },
    };
    expect(misplacedIntrinsics(template)).toEqual([
      'Resources.Policy.Properties.Resource.Fn::Join[1][1].Fn::Select[1]: Fn::Split > Fn::GetStackOutput',
    ]);
  });
});

describe('strong references from the pipeline stack to the data stack', () => {
  const { pipeline, data, pipelineStack, dataStack } = synthApp();
  if (!data || !dataStack) throw new Error('expected a data stack');
  const exports = new Map(
    Object.values(
      data.toJSON().Outputs as Record<string, { Value: Json; Export?: { Name: string } }>,
    )
      .filter((o) => o.Export)
      .map((o) => [o.Export?.Name as string, o.Value]),
  );
  const imports = new Set(valuesOf(pipeline.toJSON(), 'Fn::ImportValue') as string[]);

  it('import only what the data stack exports, and the pipeline is deployed after it', () => {
    expect(imports.size).toBeGreaterThan(0);
    for (const name of imports) expect([...exports.keys()], name).toContain(name);
    expect(pipelineStack.dependencies).toContain(dataStack);
  });

  it('build the rds-db:connect ARN in the data stack, where the proxy ARN is its own attribute', () => {
    expect(imports).toContain('Pricestream-Data:ProxyConnectArn');
    const arn = JSON.stringify(exports.get('Pricestream-Data:ProxyConnectArn'));
    expect(arn).toContain('":rds-db:"');
    expect(arn).toContain('{"Fn::Select":[6,{"Fn::Split":[":",{"Fn::GetAtt":["DatabaseProxy');
    expect(arn).toMatch(/"\/pricestream_admin"\]\]\}$/);
  });

  it('stay strong when the app’s default is weak', () => {
    const app = new App({
      context: {
        ...FEATURE_FLAGS,
        '@aws-cdk/core:defaultCrossStackReferences': 'weak',
        'aws:cdk:bundling-stacks': [],
      },
    });
    const stacks = addPricestreamStacks(app, parseConfig({}));
    const weakDefault = Template.fromStack(stacks.pipeline).toJSON();

    expect(valuesOf(weakDefault, 'Fn::GetStackOutput')).toEqual([]);
    expect(new Set(valuesOf(weakDefault, 'Fn::ImportValue'))).toEqual(imports);
  });
});

describe('a data-stack output change', () => {
  /** The pipeline's template for a configuration, optionally after changing the data stack. */
  function pipelineTemplate(
    raw: Record<string, unknown>,
    change?: (stacks: ReturnType<typeof addPricestreamStacks>) => void,
  ) {
    const app = new App({ context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] } });
    const stacks = addPricestreamStacks(app, parseConfig(raw));
    change?.(stacks);
    return JSON.stringify(Template.fromStack(stacks.pipeline).toJSON());
  }

  it('changes the pipeline’s template when the proxy is dropped (another host, user and connect ARN)', () => {
    const before = pipelineTemplate({});
    const after = pipelineTemplate({ database: { proxy: false } });

    expect(before).toContain('Pricestream-Data:ProxyConnectArn');
    expect(after).not.toContain('Pricestream-Data:ProxyConnectArn');
    expect(after).toContain('Pricestream-Data:AppConnectArn');
    expect(after).not.toEqual(before);
  });

  it('changes the pipeline’s template when the clients’ security group is replaced', () => {
    const before = pipelineTemplate({});
    const after = pipelineTemplate({}, ({ data }) => {
      // A new logical id is what a replacement looks like in a template.
      const group = data?.node.findChild('DatabaseClients').node.defaultChild as CfnResource;
      group.overrideLogicalId('DatabaseClientsReplacement');
    });

    expect(before).toMatch(/ExportsOutputFnGetAttDatabaseClients[0-9A-F]{8}GroupId/);
    expect(after).not.toMatch(/ExportsOutputFnGetAttDatabaseClients[0-9A-F]{8}GroupId/);
    expect(after).toContain('ExportsOutputFnGetAttDatabaseClientsReplacementGroupId');
  });
});
