/**
 * The parts of a synthesized stack the local runtime acts on (streams,
 * functions, schedules, event source mappings, custom resources), read from
 * the template with every intrinsic resolved.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { type StackArtifact, TemplateError, TemplateResolver } from './template.ts';

export interface StreamModel {
  logicalId: string;
  name: string;
  arn: string;
  /** Shards to create; on-demand streams get `onDemandShards`. */
  shardCount: number;
  onDemand: boolean;
  retentionHours: number;
}

export interface FunctionModel {
  logicalId: string;
  /** Short name from the construct path (`Pricestream/FetchPrices/Resource` → `FetchPrices`). */
  displayName: string;
  functionName: string;
  arn: string;
  roleArn: string;
  runtime: string;
  handler: string;
  timeoutSeconds: number;
  memoryMb: number;
  environment: Record<string, string>;
  logGroupName: string;
  logFormat: string | undefined;
  applicationLogLevel: string | undefined;
  reservedConcurrency: number | undefined;
  /** The bundled code, when the local runtime can run this function. */
  code: { entryFile: string; handlerPath: string } | undefined;
  /** Why the function is not run locally, when it is not. */
  notHostedBecause: string | undefined;
  /** Set on a custom-resource provider framework function: the user's onEvent function. */
  userOnEventFunctionArn: string | undefined;
  userIsCompleteFunctionArn: string | undefined;
}

export interface ScheduleRuleModel {
  logicalId: string;
  /** Short name from the construct path (`Pricestream/FetchSchedule/Resource` → `FetchSchedule`). */
  displayName: string;
  name: string;
  arn: string;
  scheduleExpression: string;
  enabled: boolean;
  targets: Array<{ id: string; functionLogicalId: string; input: unknown }>;
  /** Targets that are not functions of this stack. */
  otherTargets: string[];
}

export interface EventSourceMappingModel {
  logicalId: string;
  uuid: string;
  functionLogicalId: string;
  enabled: boolean;
  /** The stream the records come from. */
  streamName: string;
  streamArn: string;
  /** As written in the template: the stream's ARN, or a registered consumer's (enhanced fan-out). */
  eventSourceArn: string;
  /** Set when EventSourceArn is an AWS::Kinesis::StreamConsumer. */
  consumer: { logicalId: string; name: string } | undefined;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  startingPosition: 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP';
  startingPositionTimestamp: Date | undefined;
  parallelizationFactor: number;
  bisectBatchOnFunctionError: boolean;
  /** -1: until the record expires. */
  maximumRetryAttempts: number;
  /** -1: never too old. */
  maximumRecordAgeSeconds: number;
  reportBatchItemFailures: boolean;
  /** The on-failure destination's ARN (SQS, SNS or S3); locally the dead-letter table stands in for any. */
  onFailureDestination: string | undefined;
  /** Settings the template has that the local runtime does not apply. */
  unsupported: string[];
}

export interface CustomResourceModel {
  logicalId: string;
  type: string;
  serviceToken: string;
  /** As CloudFormation sends them: every scalar a string. */
  properties: Record<string, unknown>;
  /** The function whose ARN is the ServiceToken. */
  serviceFunctionLogicalId: string | undefined;
}

export interface StackModel {
  stackName: string;
  stackId: string;
  region: string;
  account: string;
  assemblyDir: string;
  streams: StreamModel[];
  functions: FunctionModel[];
  rules: ScheduleRuleModel[];
  mappings: EventSourceMappingModel[];
  customResources: CustomResourceModel[];
  /** Resources the runtime skips, and why, for the start-up summary. */
  warnings: string[];
}

export interface StackModelOptions {
  region?: string;
  account?: string;
  /** Shards of an on-demand stream locally. Default 4 (AWS starts on-demand streams at 4). */
  onDemandShards?: number;
}

export function buildStackModel(
  artifact: StackArtifact,
  options: StackModelOptions = {},
): StackModel {
  const resolver = new TemplateResolver(artifact.template, {
    stackName: artifact.stackName,
    ...(options.region ? { region: options.region } : {}),
    ...(options.account ? { account: options.account } : {}),
  });
  const warnings: string[] = [];
  const ofType = (...types: string[]) =>
    Object.entries(artifact.template.Resources).filter(
      ([id, resource]) =>
        (types.includes(resource.Type) ||
          (types.includes('Custom::*') && resource.Type.startsWith('Custom::'))) &&
        resolver.isCreated(id),
    );

  const streams = ofType('AWS::Kinesis::Stream').map(([id, resource]) =>
    streamModel(id, resource.Properties ?? {}, resolver, options.onDemandShards ?? 4),
  );

  const functions = ofType('AWS::Lambda::Function').map(([id]) =>
    functionModel(id, artifact.assemblyDir, resolver),
  );
  // Short names are how functions are looked up and printed: keep them unique.
  const taken = new Map<string, number>();
  for (const fn of functions) taken.set(fn.displayName, (taken.get(fn.displayName) ?? 0) + 1);
  for (const fn of functions) {
    if ((taken.get(fn.displayName) ?? 0) > 1) fn.displayName = fn.logicalId;
  }
  const functionByArn = new Map(functions.map((f) => [f.arn, f]));
  const functionByName = new Map(functions.map((f) => [f.functionName, f]));
  const lookupFunction = (value: string) =>
    functionByArn.get(value) ??
    functionByName.get(value) ??
    functionByArn.get(value.split(':').slice(0, 7).join(':'));

  const rules: ScheduleRuleModel[] = ofType('AWS::Events::Rule').flatMap(([id, resource]) => {
    const p = resource.Properties ?? {};
    if (p.ScheduleExpression === undefined) return [];
    const targets: ScheduleRuleModel['targets'] = [];
    const otherTargets: string[] = [];
    const rawTargets = resolver.resolve(p.Targets ?? [], `${id}.Targets`) as Array<
      Record<string, unknown>
    >;
    for (const target of rawTargets) {
      const arn = String(target.Arn);
      const fn = lookupFunction(arn);
      if (!fn) {
        otherTargets.push(arn);
        continue;
      }
      targets.push({
        id: String(target.Id ?? fn.logicalId),
        functionLogicalId: fn.logicalId,
        input: target.Input === undefined ? undefined : JSON.parse(String(target.Input)),
      });
    }
    return [
      {
        logicalId: id,
        displayName: displayName(id, resource.Metadata?.['aws:cdk:path']),
        name: resolver.physicalName(id),
        arn: resolver.attribute(id, 'Arn'),
        scheduleExpression: resolver.resolveString(
          p.ScheduleExpression,
          `${id}.ScheduleExpression`,
        ),
        enabled: (resolver.resolve(p.State ?? 'ENABLED', `${id}.State`) as string) === 'ENABLED',
        targets,
        otherTargets,
      },
    ];
  });

  const consumers = new Map(
    ofType('AWS::Kinesis::StreamConsumer').map(([id]) => [resolver.attribute(id, 'Arn'), id]),
  );
  const mappings: EventSourceMappingModel[] = [];
  for (const [id, resource] of ofType('AWS::Lambda::EventSourceMapping')) {
    const p = (resolver.resolve(resource.Properties ?? {}, id) ?? {}) as Record<string, unknown>;
    const eventSourceArn = String(p.EventSourceArn ?? '');
    if (!eventSourceArn.startsWith('arn:aws:kinesis:')) {
      warnings.push(`${id}: event source ${eventSourceArn || '(none)'} is not Kinesis; skipped`);
      continue;
    }
    const fn = lookupFunction(String(p.FunctionName ?? ''));
    if (!fn) {
      warnings.push(`${id}: function ${String(p.FunctionName)} is not in this stack; skipped`);
      continue;
    }
    mappings.push(mappingModel(id, p, fn.logicalId, eventSourceArn, consumers, resolver));
  }

  const customResources: CustomResourceModel[] = ofType(
    'AWS::CloudFormation::CustomResource',
    'Custom::*',
  ).map(([id, resource]) => {
    const properties = resolver.resolve(resource.Properties ?? {}, id) as Record<string, unknown>;
    const serviceToken = String(properties.ServiceToken ?? '');
    return {
      logicalId: id,
      type: resource.Type,
      serviceToken,
      properties: stringifyScalars(properties) as Record<string, unknown>,
      serviceFunctionLogicalId: lookupFunction(serviceToken)?.logicalId,
    };
  });

  // Functions that only serve AWS-facing custom resources (log retention,
  // bucket auto-delete…) are helpers of the deployment, not of the pipeline.
  for (const cr of customResources) {
    const fn = functions.find((f) => f.logicalId === cr.serviceFunctionLogicalId);
    if (fn && !fn.userOnEventFunctionArn && !fn.notHostedBecause) {
      fn.notHostedBecause = `it backs custom resource ${cr.logicalId} (${cr.type})`;
      fn.code = undefined;
    }
  }

  return {
    stackName: resolver.stackName,
    stackId: resolver.stackId,
    region: resolver.region,
    account: resolver.account,
    assemblyDir: artifact.assemblyDir,
    streams,
    functions,
    rules,
    mappings,
    customResources,
    warnings,
  };
}

function streamModel(
  id: string,
  properties: Record<string, unknown>,
  resolver: TemplateResolver,
  onDemandShards: number,
): StreamModel {
  const p = resolver.resolve(properties, id) as Record<string, unknown>;
  const mode = (p.StreamModeDetails as { StreamMode?: string } | undefined)?.StreamMode;
  const onDemand = mode === 'ON_DEMAND';
  return {
    logicalId: id,
    name: resolver.physicalName(id),
    arn: resolver.attribute(id, 'Arn'),
    shardCount: onDemand ? onDemandShards : Number(p.ShardCount ?? 1),
    onDemand,
    retentionHours: Number(p.RetentionPeriodHours ?? 24),
  };
}

function functionModel(id: string, assemblyDir: string, resolver: TemplateResolver): FunctionModel {
  const resource = resolver.resource(id);
  const p = resource.Properties ?? {};
  const environment = Object.fromEntries(
    Object.entries(
      (resolver.resolve(
        (p.Environment as { Variables?: unknown } | undefined)?.Variables ?? {},
        `${id}.Environment.Variables`,
      ) ?? {}) as Record<string, unknown>,
    ).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]),
  );
  const functionName = resolver.physicalName(id);
  const runtime = p.Runtime === undefined ? '' : resolver.resolveString(p.Runtime, `${id}.Runtime`);
  const handler = p.Handler === undefined ? '' : resolver.resolveString(p.Handler, `${id}.Handler`);
  const logging = (resolver.resolve(p.LoggingConfig ?? {}, `${id}.LoggingConfig`) ?? {}) as Record<
    string,
    unknown
  >;
  const assetPath = resource.Metadata?.['aws:asset:path'];

  let code: FunctionModel['code'];
  let notHostedBecause: string | undefined;
  const userOnEventFunctionArn = environment.USER_ON_EVENT_FUNCTION_ARN;
  if (userOnEventFunctionArn !== undefined) {
    notHostedBecause =
      'it is the custom resource provider framework (its user function is run instead)';
  } else if (!runtime.startsWith('nodejs')) {
    notHostedBecause = `its runtime ${runtime || '(none: container image?)'} is not Node.js`;
  } else if (typeof assetPath !== 'string') {
    notHostedBecause = 'it has no code asset in the cloud assembly (inline code?)';
  } else {
    const located = locateHandler(path.resolve(assemblyDir, assetPath), handler);
    if (typeof located === 'string') notHostedBecause = located;
    else code = located;
  }

  return {
    logicalId: id,
    displayName: displayName(id, resource.Metadata?.['aws:cdk:path']),
    functionName,
    arn: resolver.attribute(id, 'Arn'),
    roleArn:
      p.Role === undefined
        ? `arn:aws:iam::${resolver.account}:role/${functionName}-role`
        : resolver.resolveString(p.Role, `${id}.Role`),
    runtime,
    handler,
    timeoutSeconds: Number(resolver.resolve(p.Timeout ?? 3, `${id}.Timeout`)),
    memoryMb: Number(resolver.resolve(p.MemorySize ?? 128, `${id}.MemorySize`)),
    environment,
    logGroupName:
      typeof logging.LogGroup === 'string' ? logging.LogGroup : `/aws/lambda/${functionName}`,
    logFormat: typeof logging.LogFormat === 'string' ? logging.LogFormat : undefined,
    applicationLogLevel:
      typeof logging.ApplicationLogLevel === 'string' ? logging.ApplicationLogLevel : undefined,
    reservedConcurrency:
      p.ReservedConcurrentExecutions === undefined
        ? undefined
        : Number(resolver.resolve(p.ReservedConcurrentExecutions, id)),
    code,
    notHostedBecause,
    userOnEventFunctionArn,
    userIsCompleteFunctionArn: environment.USER_IS_COMPLETE_FUNCTION_ARN,
  };
}

/**
 * `index.handler` → `<asset>/index.mjs` (ESM bundle) or `.js`/`.cjs`, export
 * `handler`. Like the Node.js runtime, the module is what comes before the
 * first dot after the last slash, the rest is the export path.
 */
export function locateHandler(
  assetDir: string,
  handler: string,
): { entryFile: string; handlerPath: string } | string {
  if (!existsSync(assetDir) || !statSync(assetDir).isDirectory()) {
    return `its code asset ${assetDir} is missing (synthesize again?)`;
  }
  const slash = handler.lastIndexOf('/');
  const dot = handler.indexOf('.', slash + 1);
  if (dot < 0) return `its handler "${handler}" is not <module>.<export>`;
  const modulePath = handler.slice(0, dot);
  const handlerPath = handler.slice(dot + 1);
  for (const extension of ['.mjs', '.js', '.cjs']) {
    const entryFile = path.join(assetDir, `${modulePath}${extension}`);
    if (existsSync(entryFile)) return { entryFile, handlerPath };
  }
  return `its handler module ${modulePath}.mjs/.js/.cjs is not in ${assetDir}`;
}

function displayName(logicalId: string, cdkPath: unknown): string {
  if (typeof cdkPath === 'string') {
    const parts = cdkPath.split('/').filter((part) => part !== 'Resource' && part !== 'Default');
    const last = parts.at(-1);
    if (last && parts.length > 1) return last;
  }
  // CDK logical ids end in an 8-character hash.
  return logicalId.replace(/[0-9A-F]{8}$/, '') || logicalId;
}

function mappingModel(
  id: string,
  p: Record<string, unknown>,
  functionLogicalId: string,
  eventSourceArn: string,
  consumers: Map<string, string>,
  resolver: TemplateResolver,
): EventSourceMappingModel {
  const consumerId = consumers.get(eventSourceArn);
  const streamArn = consumerId ? resolver.attribute(consumerId, 'StreamARN') : eventSourceArn;
  const streamName = streamArn.split(':stream/')[1]?.split('/')[0];
  if (!streamName) throw new TemplateError(`${id}: cannot read a stream name from ${streamArn}`);
  const startingPosition = String(p.StartingPosition ?? 'LATEST');
  if (!['LATEST', 'TRIM_HORIZON', 'AT_TIMESTAMP'].includes(startingPosition)) {
    throw new TemplateError(`${id}: StartingPosition ${startingPosition} is not valid for Kinesis`);
  }
  const destination = (p.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)
    ?.OnFailure?.Destination;
  // MetricsConfig is left out: it only turns on CloudWatch metrics about the
  // mapping, and the local runtime counts its dead letters itself.
  const unsupported = ['TumblingWindowInSeconds', 'FilterCriteria', 'ScalingConfig'].filter(
    (key) => p[key] !== undefined,
  );
  const responseTypes = Array.isArray(p.FunctionResponseTypes) ? p.FunctionResponseTypes : [];
  return {
    logicalId: id,
    uuid: resolver.ref(id),
    functionLogicalId,
    enabled: p.Enabled !== false && p.Enabled !== 'false',
    streamName,
    streamArn,
    eventSourceArn,
    consumer: consumerId
      ? { logicalId: consumerId, name: resolver.attribute(consumerId, 'ConsumerName') }
      : undefined,
    batchSize: Number(p.BatchSize ?? 100),
    maximumBatchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
    startingPosition: startingPosition as EventSourceMappingModel['startingPosition'],
    startingPositionTimestamp:
      p.StartingPositionTimestamp === undefined
        ? undefined
        : new Date(Number(p.StartingPositionTimestamp) * 1000),
    parallelizationFactor: Number(p.ParallelizationFactor ?? 1),
    bisectBatchOnFunctionError:
      p.BisectBatchOnFunctionError === true || p.BisectBatchOnFunctionError === 'true',
    maximumRetryAttempts: Number(p.MaximumRetryAttempts ?? -1),
    maximumRecordAgeSeconds: Number(p.MaximumRecordAgeInSeconds ?? -1),
    reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
    onFailureDestination: typeof destination === 'string' ? destination : undefined,
    unsupported,
  };
}

/** CloudFormation hands custom resources every scalar property as a string. */
function stringifyScalars(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringifyScalars);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringifyScalars(v)]));
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value;
}
