import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addPricestreamStacks } from '../../cdk/app-stacks.ts';
import { parseConfig } from '../../cdk/config.ts';
import type { PricestreamDataStack } from '../../cdk/data-stack.ts';
import type { PricestreamStack } from '../../cdk/pricestream-stack.ts';

export const LOCAL_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:54329/pricestream';
export const SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pricestream-db-AbC123';

/** cdk.json's context without the project's own key: the feature flags `cdk synth` runs with. */
export const FEATURE_FLAGS: Record<string, unknown> = (() => {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const { pricestream: _project, ...flags } = cdkJson.context;
  return flags;
})();

export interface SynthesizedApp {
  /** The pipeline stack (stream, functions, mappings, alarms, dashboard). */
  pipeline: Template;
  /** The stateful stack, with database.mode=aurora (the default). */
  data: Template | undefined;
  pipelineStack: PricestreamStack;
  dataStack: PricestreamDataStack | undefined;
}

/** An external database given as a secret: no stateful stack. */
export const EXTERNAL = { database: { mode: 'external' }, databaseSecretArn: SECRET_ARN };

/** An external database in the given VPC, its secret under a customer managed key. */
export const EXTERNAL_IN_VPC = {
  ...EXTERNAL,
  databaseSecretKmsKeyArn:
    'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  database: {
    mode: 'external',
    vpcId: 'vpc-0123456789abcdef0',
    subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    securityGroupIds: ['sg-0123456789abcdef0'],
  },
};

/** The LocalStack flavour: external, the compose network's PostgreSQL URL, no TLS. */
export const LOCALSTACK = {
  deployTarget: 'localstack',
  database: { mode: 'external' },
  databaseUrl: 'postgres://postgres:postgres@postgres:5432/pricestream',
};

const cache = new Map<string, SynthesizedApp>();

/**
 * Synthesizes the app from a partial configuration (default: Aurora) with
 * cdk.json's feature flags, without bundling the functions. Results are
 * read-only and cached per configuration.
 */
export function synthApp(
  raw: Record<string, unknown> = {},
  options: { sqlDir?: string; env?: { account: string; region: string } } = {},
): SynthesizedApp {
  const key = JSON.stringify([raw, options]);
  // A test's own SQL folder changes between calls: never cached.
  let synthesized = options.sqlDir === undefined ? cache.get(key) : undefined;
  if (synthesized === undefined) {
    const app = new App({ context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] } });
    const { data, pipeline } = addPricestreamStacks(app, parseConfig(raw), {
      env: options.env,
      ...(options.sqlDir ? { sqlDir: options.sqlDir } : {}),
    });
    synthesized = {
      pipeline: Template.fromStack(pipeline),
      data: data ? Template.fromStack(data) : undefined,
      pipelineStack: pipeline,
      dataStack: data,
    };
    cache.set(key, synthesized);
  }
  return synthesized;
}

/** The pipeline stack's template (see synthApp). */
export function synth(
  raw: Record<string, unknown> = {},
  options: { sqlDir?: string } = {},
): Template {
  return synthApp(raw, options).pipeline;
}

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

/** The one resource of `type` whose logical id is `name` or `name<hash>` (`name` is the construct path). */
export function resource(template: Template, type: string, name: string): [string, Resource] {
  const matches = Object.entries(template.findResources(type) as Record<string, Resource>).filter(
    ([id]) => new RegExp(`^${name}([0-9A-F]{8})?$`).test(id),
  );
  if (matches.length !== 1) {
    throw new Error(`expected one ${type} named ${name}, found ${matches.length}`);
  }
  return matches[0] as [string, Resource];
}

/** The project's functions (the ones with a Powertools service name), by service name. */
export function projectFunctions(template: Template): Map<string, [string, Resource]> {
  const found = new Map<string, [string, Resource]>();
  for (const [id, fn] of Object.entries(
    template.findResources('AWS::Lambda::Function') as Record<string, Resource>,
  )) {
    const env = environmentOf(fn);
    const service = env.POWERTOOLS_SERVICE_NAME;
    if (typeof service === 'string') found.set(service, [id, fn]);
  }
  return found;
}

export function environmentOf(fn: Resource): Record<string, unknown> {
  const env = fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined;
  return env?.Variables ?? {};
}

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** The IAM statements attached to the role of the function with logical id `functionId`. */
export function statementsOf(template: Template, functionId: string): Statement[] {
  const fn = template.toJSON().Resources[functionId] as Resource;
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policies = Object.values(
    template.findResources('AWS::IAM::Policy') as Record<string, Resource>,
  );
  return policies
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** Every IAM action granted to the role of the function with logical id `functionId`. */
export function actionsOf(template: Template, functionId: string): string[] {
  return statementsOf(template, functionId).flatMap((s) => [s.Action].flat());
}
