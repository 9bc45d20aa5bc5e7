/**
 * Reads a synthesized stack from a cloud assembly (cdk.out) and resolves the
 * CloudFormation intrinsics in it the way a deployment would, with a fixed
 * local account and region, so the rest of the runtime sees plain values.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  Condition?: string;
  DependsOn?: string | string[];
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Parameters?: Record<string, { Type: string; Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

export interface StackArtifact {
  /** The CloudFormation stack name. */
  stackName: string;
  /** The cloud assembly directory the template came from. */
  assemblyDir: string;
  templateFile: string;
  template: CfnTemplate;
}

export class TemplateError extends Error {
  override name = 'TemplateError';
}

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

interface ManifestArtifact {
  type: string;
  properties?: { templateFile?: string; stackName?: string };
  displayName?: string;
  dependencies?: string[];
}

/**
 * Finds the stack in `<assemblyDir>/manifest.json`. With several stacks,
 * `stackName` picks one (by stack name or artifact id); without it, the one
 * stack no other depends on is run (the pipeline, not the stateful stack
 * whose network and database the runtime's own PostgreSQL stands in for).
 */
export async function readStackArtifact(
  assemblyDir: string,
  stackName?: string,
): Promise<StackArtifact> {
  const manifestFile = path.join(assemblyDir, 'manifest.json');
  let manifest: { artifacts?: Record<string, ManifestArtifact> };
  try {
    manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
  } catch (error) {
    throw new TemplateError(
      `Cannot read the cloud assembly manifest ${manifestFile}: ${String(error)}. ` +
        'Synthesize the stack first (npm run synth), or run without --no-synth.',
    );
  }
  const stacks = Object.entries(manifest.artifacts ?? {})
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
    .map(([id, artifact]) => ({
      id,
      name: artifact.properties?.stackName ?? id,
      templateFile: artifact.properties?.templateFile ?? `${id}.template.json`,
    }));
  const dependedOn = new Set(
    Object.values(manifest.artifacts ?? {}).flatMap((artifact) => artifact.dependencies ?? []),
  );
  const leaves = stacks.filter((s) => !dependedOn.has(s.id));
  const chosen =
    stackName === undefined
      ? leaves.length === 1
        ? leaves[0]
        : undefined
      : stacks.find((s) => s.name === stackName || s.id === stackName);
  if (!chosen) {
    const names = stacks.map((s) => s.name).join(', ') || 'none';
    throw new TemplateError(
      stackName === undefined
        ? `The cloud assembly ${assemblyDir} has ${stacks.length} stacks (${names}); name the one to run.`
        : `The cloud assembly ${assemblyDir} has no stack ${stackName} (it has: ${names}).`,
    );
  }
  const templateFile = path.join(assemblyDir, chosen.templateFile);
  const template = JSON.parse(await readFile(templateFile, 'utf8')) as CfnTemplate;
  if (typeof template.Resources !== 'object' || template.Resources === null) {
    throw new TemplateError(`${templateFile} has no Resources`);
  }
  return { stackName: chosen.name, assemblyDir, templateFile, template };
}

export interface ResolverOptions {
  stackName: string;
  region?: string;
  account?: string;
}

/** `{"Ref": "AWS::NoValue"}`: the property is removed. */
const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Resolves intrinsic functions against one template. Physical names follow
 * the template where it names a resource and are synthesized from the stack
 * name and logical id where CloudFormation would generate one (without the
 * random suffix, so they are stable from one start to the next).
 */
export class TemplateResolver {
  readonly region: string;
  readonly account: string;
  readonly partition = 'aws';
  readonly stackName: string;
  readonly stackId: string;
  private readonly conditionCache = new Map<string, boolean>();

  constructor(
    readonly template: CfnTemplate,
    options: ResolverOptions,
  ) {
    this.region = options.region ?? LOCAL_REGION;
    this.account = options.account ?? LOCAL_ACCOUNT;
    this.stackName = options.stackName;
    this.stackId = `arn:aws:cloudformation:${this.region}:${this.account}:stack/${this.stackName}/${deterministicUuid(this.stackName)}`;
  }

  resource(logicalId: string): CfnResource {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new TemplateError(`The template has no resource ${logicalId}`);
    return resource;
  }

  /** Whether the resource exists in this deployment (its Condition, if any, holds). */
  isCreated(logicalId: string): boolean {
    const condition = this.resource(logicalId).Condition;
    return condition === undefined || this.condition(condition);
  }

  /** Resolves every intrinsic in `value`. `where` names the property in error messages. */
  resolve(value: unknown, where = 'template'): unknown {
    const resolved = this.resolveValue(value, where);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  /** Resolves to a string, or fails naming the property. */
  resolveString(value: unknown, where: string): string {
    const resolved = this.resolve(value, where);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new TemplateError(`${where} must resolve to a string, got ${JSON.stringify(resolved)}`);
  }

  /** What `Ref` returns for a resource. */
  ref(logicalId: string): string {
    const resource = this.resource(logicalId);
    switch (resource.Type) {
      case 'AWS::Lambda::EventSourceMapping':
        return deterministicUuid(`${this.stackName}/${logicalId}`);
      case 'AWS::SQS::Queue':
        return this.attribute(logicalId, 'QueueUrl');
      case 'AWS::SNS::Topic':
      case 'AWS::SecretsManager::Secret':
      case 'AWS::Kinesis::StreamConsumer':
        return this.attribute(logicalId, 'Arn');
      default:
        return this.physicalName(logicalId);
    }
  }

  /** The resource's name: the one the template gives, else a stable generated one. */
  physicalName(logicalId: string): string {
    const resource = this.resource(logicalId);
    const nameProperty = NAME_PROPERTIES[resource.Type];
    const given = nameProperty ? resource.Properties?.[nameProperty] : undefined;
    if (given !== undefined) {
      return this.resolveString(given, `${logicalId}.${nameProperty}`);
    }
    const generated = `${this.stackName}-${logicalId}`;
    return resource.Type === 'AWS::Lambda::Function' || resource.Type === 'AWS::IAM::Role'
      ? generated.slice(0, 64)
      : generated;
  }

  /** What `Fn::GetAtt [logicalId, attribute]` returns. */
  attribute(logicalId: string, attribute: string): string {
    const resource = this.resource(logicalId);
    const name = () => this.physicalName(logicalId);
    const { region, account } = this;
    switch (`${resource.Type}.${attribute}`) {
      case 'AWS::Lambda::Function.Arn':
        return `arn:aws:lambda:${region}:${account}:function:${name()}`;
      case 'AWS::Kinesis::Stream.Arn':
        return `arn:aws:kinesis:${region}:${account}:stream/${name()}`;
      case 'AWS::Kinesis::StreamConsumer.ConsumerARN':
      case 'AWS::Kinesis::StreamConsumer.Arn': {
        const streamArn = this.resolveString(
          resource.Properties?.StreamARN,
          `${logicalId}.StreamARN`,
        );
        return `${streamArn}/consumer/${this.attribute(logicalId, 'ConsumerName')}:0`;
      }
      case 'AWS::Kinesis::StreamConsumer.ConsumerName':
        return this.resolveString(resource.Properties?.ConsumerName, `${logicalId}.ConsumerName`);
      case 'AWS::Kinesis::StreamConsumer.StreamARN':
        return this.resolveString(resource.Properties?.StreamARN, `${logicalId}.StreamARN`);
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${account}:role/${name()}`;
      case 'AWS::IAM::Role.RoleId':
        return `AROA${hash(`${this.stackName}/${logicalId}`).slice(0, 17).toUpperCase()}`;
      case 'AWS::SQS::Queue.Arn':
        return `arn:aws:sqs:${region}:${account}:${name()}`;
      case 'AWS::SQS::Queue.QueueName':
        return name();
      case 'AWS::SQS::Queue.QueueUrl':
        return `https://sqs.${region}.amazonaws.com/${account}/${name()}`;
      case 'AWS::SNS::Topic.Arn':
      case 'AWS::SNS::Topic.TopicArn':
        return `arn:aws:sns:${region}:${account}:${name()}`;
      case 'AWS::Events::Rule.Arn':
        return `arn:aws:events:${region}:${account}:rule/${name()}`;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:aws:logs:${region}:${account}:log-group:${name()}:*`;
      case 'AWS::SecretsManager::Secret.Arn':
        return `arn:aws:secretsmanager:${region}:${account}:secret:${name()}`;
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:aws:dynamodb:${region}:${account}:table/${name()}`;
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${name()}`;
      default:
        if (attribute === 'Arn') return this.genericArn(resource.Type, name());
        throw new TemplateError(
          `Fn::GetAtt ${logicalId}.${attribute} (${resource.Type}) is not supported by the local runtime`,
        );
    }
  }

  condition(name: string): boolean {
    const cached = this.conditionCache.get(name);
    if (cached !== undefined) return cached;
    const expression = this.template.Conditions?.[name];
    if (expression === undefined) throw new TemplateError(`The template has no condition ${name}`);
    const value = this.evaluateCondition(expression, `Conditions.${name}`);
    this.conditionCache.set(name, value);
    return value;
  }

  private genericArn(type: string, name: string): string {
    const [, service = 'unknown', kind = 'resource'] = type.split('::');
    return `arn:aws:${service.toLowerCase()}:${this.region}:${this.account}:${kind.toLowerCase()}/${name}`;
  }

  private pseudo(name: string): string | typeof NO_VALUE | undefined {
    switch (name) {
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return this.account;
      case 'AWS::Partition':
        return this.partition;
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return this.stackId;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::NotificationARNs':
        return undefined;
      default:
        return undefined;
    }
  }

  private refTo(name: string, where: string): Json | typeof NO_VALUE {
    const pseudo = this.pseudo(name);
    if (pseudo !== undefined) return pseudo;
    if (name === 'AWS::NotificationARNs') return [];
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined) {
        throw new TemplateError(`${where}: parameter ${name} has no default to use locally`);
      }
      return parameter.Default as Json;
    }
    if (this.template.Resources[name]) return this.ref(name);
    throw new TemplateError(`${where}: Ref to unknown ${name}`);
  }

  private resolveValue(value: unknown, where: string): Json | typeof NO_VALUE {
    if (value === null || typeof value !== 'object') return value as Json;
    if (Array.isArray(value)) {
      const out: Json[] = [];
      value.forEach((item, i) => {
        const resolved = this.resolveValue(item, `${where}[${i}]`);
        if (resolved !== NO_VALUE) out.push(resolved);
      });
      return out;
    }
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      return this.intrinsic(first[0], first[1], where);
    }
    const out: { [key: string]: Json } = {};
    for (const [key, inner] of entries) {
      const resolved = this.resolveValue(inner, `${where}.${key}`);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private intrinsic(fn: string, arg: unknown, where: string): Json | typeof NO_VALUE {
    const at = `${where} (${fn})`;
    switch (fn) {
      case 'Ref':
        return this.refTo(expectString(arg, at), at);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] =
          typeof arg === 'string'
            ? splitOnce(arg, '.')
            : (this.resolve(arg, at) as [string, string]);
        if (typeof logicalId !== 'string' || typeof attribute !== 'string') {
          throw new TemplateError(`${at}: expected [logicalId, attribute]`);
        }
        if (!this.template.Resources[logicalId]) {
          throw new TemplateError(`${at}: unknown resource ${logicalId}`);
        }
        return this.attribute(logicalId, attribute);
      }
      case 'Fn::Join': {
        const [delimiter, list] = expectArray(arg, 2, at);
        const items = this.resolve(list, at);
        if (!Array.isArray(items)) throw new TemplateError(`${at}: expected a list to join`);
        return items.map((item) => scalarString(item, at)).join(expectString(delimiter, at));
      }
      case 'Fn::Sub': {
        const [text, variables] = typeof arg === 'string' ? [arg, {}] : expectArray(arg, 2, at);
        const vars = this.resolve(variables, at) as Record<string, Json>;
        return expectString(text, at).replace(/\$\{(!?)([^}]+)\}/g, (_m, bang, name: string) => {
          if (bang) return `\${${name}}`;
          if (name in vars) return scalarString(vars[name] ?? null, at);
          if (name.includes('.')) {
            const [id, attr] = splitOnce(name, '.');
            return this.attribute(id, attr);
          }
          const resolved = this.refTo(name, at);
          if (resolved === NO_VALUE) return '';
          return scalarString(resolved, at);
        });
      }
      case 'Fn::Select': {
        const [index, list] = expectArray(arg, 2, at);
        const items = this.resolve(list, at);
        const i = Number(this.resolve(index, at));
        if (!Array.isArray(items) || !Number.isInteger(i) || i < 0 || i >= items.length) {
          throw new TemplateError(`${at}: index ${String(index)} out of range`);
        }
        return items[i] as Json;
      }
      case 'Fn::Split': {
        const [delimiter, text] = expectArray(arg, 2, at);
        return this.resolveString(text, at).split(expectString(delimiter, at));
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = expectArray(arg, 3, at);
        return this.resolveValue(
          this.condition(expectString(condition, at)) ? whenTrue : whenFalse,
          at,
        );
      }
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((zone) => `${this.region}${zone}`);
      case 'Fn::Base64':
        return Buffer.from(this.resolveString(arg, at)).toString('base64');
      case 'Fn::FindInMap': {
        const [map, top, second] = (this.resolve(arg, at) as unknown[]).map((v) =>
          scalarString(v as Json, at),
        );
        const found = this.template.Mappings?.[map ?? '']?.[top ?? '']?.[second ?? ''];
        if (found === undefined)
          throw new TemplateError(`${at}: no mapping ${map}.${top}.${second}`);
        return found as Json;
      }
      case 'Fn::ToJsonString':
        return JSON.stringify(this.resolve(arg, at));
      case 'Fn::ImportValue':
      case 'Fn::GetStackOutput':
        // Another stack's value (the stateful stack's proxy endpoint, say), which
        // the local runtime does not deploy: a placeholder that names it.
        return `(${fn} ${JSON.stringify(this.resolve(arg, at))})`;
      case 'Fn::Equals':
      case 'Fn::And':
      case 'Fn::Or':
      case 'Fn::Not':
        return this.evaluateCondition({ [fn]: arg }, at);
      default:
        throw new TemplateError(`${at}: ${fn} is not supported by the local runtime`);
    }
  }

  private evaluateCondition(expression: unknown, where: string): boolean {
    if (typeof expression === 'boolean') return expression;
    if (expression === null || typeof expression !== 'object' || Array.isArray(expression)) {
      throw new TemplateError(`${where}: not a condition`);
    }
    const [[fn, arg] = ['', undefined]] = Object.entries(expression);
    const list = () => expectArray(arg, undefined, where);
    switch (fn) {
      case 'Condition':
        return this.condition(expectString(arg, where));
      case 'Fn::Equals': {
        const [a, b] = expectArray(arg, 2, where).map((v) => this.resolve(v, where));
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::And':
        return list().every((c) => this.evaluateCondition(c, where));
      case 'Fn::Or':
        return list().some((c) => this.evaluateCondition(c, where));
      case 'Fn::Not':
        return !this.evaluateCondition(list()[0], where);
      default:
        throw new TemplateError(`${where}: ${fn} is not a condition function`);
    }
  }
}

/** The property that names a resource, per type, when the template sets it. */
const NAME_PROPERTIES: Record<string, string> = {
  'AWS::Kinesis::Stream': 'Name',
  'AWS::Kinesis::StreamConsumer': 'ConsumerName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Events::Rule': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::S3::Bucket': 'BucketName',
};

/** A UUID derived from a name, so ids survive a re-synthesis. */
export function deterministicUuid(name: string): string {
  const h = hash(name);
  const variant = ((Number.parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function hash(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function splitOnce(text: string, separator: string): [string, string] {
  const i = text.indexOf(separator);
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 1)];
}

function expectString(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new TemplateError(`${where}: expected a string`);
  return value;
}

function expectArray(value: unknown, length: number | undefined, where: string): unknown[] {
  if (!Array.isArray(value) || (length !== undefined && value.length !== length)) {
    throw new TemplateError(
      `${where}: expected a list${length === undefined ? '' : ` of ${length}`}`,
    );
  }
  return value;
}

function scalarString(value: Json, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateError(`${where}: expected a string, got ${JSON.stringify(value)}`);
}
