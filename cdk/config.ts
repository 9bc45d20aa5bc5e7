/**
 * The stack's one typed configuration: every tuning knob, with its default,
 * read from the `pricestream` object in cdk.json context and overridable per
 * key on the command line (`cdk synth -c pricestream:shardCount=4`).
 *
 * Invalid values fail at synth with an error that names the setting.
 */

import {
  parseScheduleExpression,
  ScheduleExpressionError,
  shortestGapMs,
} from './schedule-expression.ts';

export type PriceSource = 'coinbase' | 'sim' | 'auto';
export type StartingPosition = 'LATEST' | 'TRIM_HORIZON';
export type StreamMode = 'provisioned' | 'on-demand';
export type DatabaseMode = 'aurora' | 'external';
export type DeployTarget = 'aws' | 'localstack';

export interface DatabaseConfig {
  /**
   * `aurora` (default): a stateful stack with a VPC (isolated subnets, no NAT
   * gateway), Aurora PostgreSQL Serverless v2 and an RDS Proxy; `external`: bring
   * your own database (`databaseSecretArn`, or `databaseUrl` on LocalStack).
   */
  mode: DatabaseMode;
  /** aurora: reach the database through an RDS Proxy that requires TLS (default); false: straight to Aurora with IAM authentication. */
  proxy: boolean;
  /** aurora: Serverless v2 minimum ACUs, 0 (pauses when idle) to 256, in steps of 0.5. Default 0.5. */
  minCapacity: number;
  /** aurora: maximum ACUs, 1 to 256. Default 4. */
  maxCapacity: number;
  /** aurora: refuse to delete the cluster. Default true. */
  deletionProtection: boolean;
  /** aurora: take a final snapshot when the cluster is deleted (else delete the data). Default true. */
  snapshotOnDelete: boolean;
  /** aurora: the database the pipeline uses. Default `pricestream`. */
  name: string;
  /** external: place the functions in this VPC (with `subnetIds` and `securityGroupIds`). */
  vpcId?: string | undefined;
  subnetIds?: string[] | undefined;
  securityGroupIds?: string[] | undefined;
}

export interface ConsumerConfig {
  /** Records per invocation, 1–10,000 (AWS's range for Kinesis). */
  batchSize: number;
  /** Seconds Lambda gathers records before invoking, 0–300. */
  batchingWindowSeconds: number;
  /** Concurrent batches per shard, 1–10. */
  parallelizationFactor: number;
  /** Retries of a failing batch, -1 (until the record expires) to 10,000. */
  maxRetryAttempts: number;
  /** Records older than this go to the dead-letter queue: -1 (never) or 60–604,800 s. */
  maxRecordAgeSeconds: number;
  /** Split a failing batch in two and retry each half. */
  bisectOnError: boolean;
  /** Where a new mapping starts reading. */
  startingPosition: StartingPosition;
  /** Function timeout in seconds. */
  timeoutSeconds: number;
  /** Function memory in MB. */
  memoryMb: number;
  /** Read through a registered stream consumer (SubscribeToShard, enhanced fan-out) instead of polling. */
  enhancedFanOut: boolean;
}

export interface PricestreamConfig {
  /** CloudFormation stack name (the pipeline's; the stateful stack adds `-Data`). Default `Pricestream`. */
  stackName: string;
  /**
   * A stage (`dev`, `prod`…) that suffixes every name the stacks choose (stacks,
   * stream, dashboard), so two stages live in one account. Default none.
   */
  stage?: string | undefined;
  /** `aws` (default) or `localstack`, which accepts a `databaseUrl` and no Aurora. */
  deployTarget: DeployTarget;
  /** The database layer. */
  database: DatabaseConfig;
  /** Email address subscribed to the alarm topic (confirm the subscription mail). Default none. */
  alarmEmail?: string | undefined;
  /** Days the dead-letter bucket keeps a failed batch, 1–3650. Default 90. */
  deadLetterRetentionDays: number;
  /** Kinesis stream name. Default `prices`. */
  streamName: string;
  /** `provisioned` (default, with `shardCount` shards) or `on-demand`. */
  streamMode: StreamMode;
  /** Shards of a provisioned stream. Default 3. */
  shardCount: number;
  /** Hours the stream keeps records, 24–8760. Default 24. */
  retentionHours: number;
  /** Coinbase product ids, `BASE-QUOTE`. Default the five pairs of the original system. */
  symbols: string[];
  /** `coinbase`, `sim` (seeded simulated market) or `auto` (Coinbase, falling back to sim). Default `auto`. */
  priceSource: PriceSource;
  /** Coinbase Exchange API base URL. */
  coinbaseBaseUrl: string;
  /** Per-request timeout for Coinbase, ms. Default 2000. */
  coinbaseTimeoutMs: number;
  /** Seconds between ticks inside one fetch invocation (the first at its start). Default 10. */
  pollIntervalSeconds: number;
  /**
   * When fetch-prices runs: an EventBridge `rate(...)` or `cron(...)` expression
   * (UTC). Default `rate(1 minute)`. One invocation ticks until the next is due
   * (the shortest gap between firings), for at most 14 minutes.
   */
  fetchSchedule: string;
  /** Seed of the simulated market. Default 42. */
  simSeed: number;
  /** The per-record ("Flink-like") consumer. */
  realtime: ConsumerConfig;
  /** The batched-window ("Spark micro-batch") consumer. */
  batch: ConsumerConfig;
  /** external, LocalStack only: a PostgreSQL URL (a password or a loopback host stops an AWS synth). */
  databaseUrl?: string | undefined;
  /** external: a Secrets Manager secret in the RDS JSON shape (host, port, username, password, dbname). */
  databaseSecretArn?: string | undefined;
  /**
   * external: the customer managed KMS key the secret is encrypted with (its key
   * ARN); the functions get kms:Decrypt on it through Secrets Manager. Default
   * none: the secret is under the AWS managed key.
   */
  databaseSecretKmsKeyArn?: string | undefined;
  /** TLS to PostgreSQL: `verify-full` (default on AWS) or `disable` (default on LocalStack). */
  databaseSsl: 'verify-full' | 'disable';
  /** Powertools log level. Default INFO. */
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** CloudWatch namespace of the EMF metrics. Default `Pricestream`. */
  metricsNamespace: string;
  /** The gold rollups. */
  rollup: RollupConfig;
  /** Optional mirror of the per-record consumer's prices into Amazon Timestream. */
  timestream: TimestreamConfig;
  /** Name of the CloudWatch dashboard (dashboards are global to the account). Default `<stackName>[-<stage>]-<region>`. */
  dashboardName?: string | undefined;
}

export interface TimestreamConfig {
  /** Off by default: Timestream for LiveAnalytics closed to new AWS customers on 2025-06-20. */
  enabled: boolean;
  databaseName: string;
  tableName: string;
  /** An explicit endpoint (skips endpoint discovery), e.g. a LocalStack one. */
  endpoint?: string | undefined;
}

export interface RollupConfig {
  /** When both rollups run: a `rate(...)` or `cron(...)` expression (UTC). Default `rate(10 minutes)`. */
  schedule: string;
  /** Whose silver rows feed gold: `realtime` (default) or `batch`. One consumer, so the two never double-count. */
  sourceConsumer: 'realtime' | 'batch';
  /** Function timeout in seconds. Default 300. */
  timeoutSeconds: number;
}

export const DEFAULT_SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'DOGE-USD'];

const consumerDefaults = {
  parallelizationFactor: 1,
  maxRetryAttempts: 100,
  maxRecordAgeSeconds: 21_600,
  bisectOnError: true,
  startingPosition: 'TRIM_HORIZON',
  timeoutSeconds: 30,
  memoryMb: 256,
  enhancedFanOut: false,
} as const satisfies Partial<ConsumerConfig>;

export const DEFAULT_DATABASE: DatabaseConfig = {
  mode: 'aurora',
  proxy: true,
  minCapacity: 0.5,
  maxCapacity: 4,
  deletionProtection: true,
  snapshotOnDelete: true,
  name: 'pricestream',
  vpcId: undefined,
  subnetIds: undefined,
  securityGroupIds: undefined,
};

export const DEFAULT_CONFIG: PricestreamConfig = {
  stackName: 'Pricestream',
  stage: undefined,
  deployTarget: 'aws',
  database: DEFAULT_DATABASE,
  alarmEmail: undefined,
  deadLetterRetentionDays: 90,
  streamName: 'prices',
  streamMode: 'provisioned',
  shardCount: 3,
  retentionHours: 24,
  symbols: DEFAULT_SYMBOLS,
  priceSource: 'auto',
  coinbaseBaseUrl: 'https://api.exchange.coinbase.com',
  coinbaseTimeoutMs: 2000,
  pollIntervalSeconds: 10,
  fetchSchedule: 'rate(1 minute)',
  simSeed: 42,
  realtime: { ...consumerDefaults, batchSize: 1, batchingWindowSeconds: 0 },
  batch: { ...consumerDefaults, batchSize: 1000, batchingWindowSeconds: 15, timeoutSeconds: 60 },
  databaseUrl: undefined,
  databaseSecretArn: undefined,
  databaseSecretKmsKeyArn: undefined,
  databaseSsl: 'verify-full',
  logLevel: 'INFO',
  metricsNamespace: 'Pricestream',
  rollup: { schedule: 'rate(10 minutes)', sourceConsumer: 'realtime', timeoutSeconds: 300 },
  timestream: {
    enabled: false,
    databaseName: 'pricestream',
    tableName: 'prices',
    endpoint: undefined,
  },
  dashboardName: undefined,
};

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`Invalid configuration "${setting}": ${message}`);
  }
}

const SYMBOL = /^[A-Z0-9]{2,10}-[A-Z0-9]{2,10}$/;

type Raw = Record<string, unknown>;

/** Reads a context getter (`app.node.tryGetContext`) into a validated configuration. */
export function configFromContext(get: (key: string) => unknown): PricestreamConfig {
  const base = get('pricestream');
  if (base !== undefined && (typeof base !== 'object' || base === null || Array.isArray(base))) {
    throw new ConfigError('pricestream', 'the context value must be an object');
  }
  const raw: Raw = structuredClone((base as Raw | undefined) ?? {});
  // Renamed keys are read too, so that `-c pricestream:<old key>=…` fails and says what to write.
  for (const key of [...overridableKeys(), ...Object.keys(RENAMED)]) {
    const value = get(`pricestream:${key}`);
    if (value !== undefined) setPath(raw, key, value);
  }
  return parseConfig(raw);
}

/** Validates a partial configuration object and fills in the defaults. */
export function parseConfig(raw: Raw): PricestreamConfig {
  const known = new Set(Object.keys(DEFAULT_CONFIG));
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) throw new ConfigError(key, unknownSetting(key));
  }
  const d = DEFAULT_CONFIG;
  const deployTarget = oneOf(raw, 'deployTarget', d.deployTarget, ['aws', 'localstack'] as const);
  const config: PricestreamConfig = {
    stackName: str(raw, 'stackName', d.stackName, /^[A-Za-z][A-Za-z0-9-]{0,100}$/),
    stage: optionalMatch(raw, 'stage', /^[a-z][a-z0-9-]{0,19}$/),
    deployTarget,
    database: database(raw, d.database),
    alarmEmail: optionalMatch(raw, 'alarmEmail', /^[^\s@]+@[^\s@]+\.[^\s@]+$/),
    deadLetterRetentionDays: int(
      raw,
      'deadLetterRetentionDays',
      d.deadLetterRetentionDays,
      1,
      3650,
    ),
    streamName: str(raw, 'streamName', d.streamName, /^[a-zA-Z0-9_.-]{1,128}$/),
    streamMode: oneOf(raw, 'streamMode', d.streamMode, ['provisioned', 'on-demand'] as const),
    shardCount: int(raw, 'shardCount', d.shardCount, 1, 500),
    retentionHours: int(raw, 'retentionHours', d.retentionHours, 24, 8760),
    symbols: symbols(raw),
    priceSource: oneOf(raw, 'priceSource', d.priceSource, ['coinbase', 'sim', 'auto'] as const),
    coinbaseBaseUrl: url(raw, 'coinbaseBaseUrl', d.coinbaseBaseUrl),
    coinbaseTimeoutMs: int(raw, 'coinbaseTimeoutMs', d.coinbaseTimeoutMs, 100, 30_000),
    pollIntervalSeconds: int(raw, 'pollIntervalSeconds', d.pollIntervalSeconds, 1, 60),
    fetchSchedule: schedule(raw, 'fetchSchedule', d.fetchSchedule),
    simSeed: int(raw, 'simSeed', d.simSeed, 0, 2 ** 31 - 1),
    realtime: consumer(raw, 'realtime', d.realtime),
    batch: consumer(raw, 'batch', d.batch),
    databaseUrl: optionalStr(raw, 'databaseUrl'),
    databaseSecretArn: optionalStr(raw, 'databaseSecretArn'),
    databaseSecretKmsKeyArn: optionalStr(raw, 'databaseSecretKmsKeyArn'),
    // Verified TLS on AWS; LocalStack's compose PostgreSQL serves none. `require` is the old name.
    databaseSsl: ssl(raw, deployTarget === 'localstack' ? 'disable' : d.databaseSsl),
    logLevel: oneOf(raw, 'logLevel', d.logLevel, ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const),
    metricsNamespace: str(
      raw,
      'metricsNamespace',
      d.metricsNamespace,
      /^[A-Za-z0-9._/#:-]{1,255}$/,
    ),
    rollup: rollup(raw, d.rollup),
    timestream: timestream(raw, d.timestream),
    dashboardName: optionalMatch(raw, 'dashboardName', /^[A-Za-z0-9_-]{1,255}$/),
  };
  checkDatabase(config);
  checkNetworkPaths(config);
  if (config.pollIntervalSeconds > fetchPeriodSeconds(config.fetchSchedule)) {
    throw new ConfigError(
      'pollIntervalSeconds',
      `must not exceed the time one fetch invocation covers (${fetchPeriodSeconds(config.fetchSchedule)} s with fetchSchedule ${config.fetchSchedule})`,
    );
  }
  return config;
}

/** One invocation of fetch-prices may run at most this long (Lambda's limit is 15 minutes). */
export const MAX_FETCH_PERIOD_SECONDS = 14 * 60;

/**
 * How long one fetch-prices invocation ticks: until the next one is due, i.e.
 * the shortest gap between the schedule's firings, at most 14 minutes (a
 * schedule that fires less often leaves the rest of each gap without prices).
 */
export function fetchPeriodSeconds(fetchSchedule: string): number {
  const gapMs = shortestGapMs(parseScheduleExpression(fetchSchedule));
  return Math.min(MAX_FETCH_PERIOD_SECONDS, Math.round((gapMs ?? Infinity) / 1000));
}

/** Keys that were renamed, and what to write instead. */
const RENAMED: Record<string, string> = {
  fetchScheduleMinutes: 'fetchSchedule, e.g. fetchSchedule=rate(5 minutes)',
  'rollup.scheduleMinutes': 'rollup.schedule, e.g. rollup.schedule=rate(10 minutes)',
};

/**
 * Which database settings go together: Aurora owns its network and
 * credentials; an external database needs a secret (or, on LocalStack only, a
 * URL); a URL with a password or a loopback host never reaches a deployable
 * stack, where it would sit in four functions' environment.
 */
function checkDatabase(config: PricestreamConfig): void {
  const { database: db, databaseUrl, databaseSecretArn, deployTarget } = config;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('databaseUrl', 'must be a postgres:// URL');
  }
  if (
    databaseSecretArn !== undefined &&
    !/^arn:aws[a-z-]*:secretsmanager:/.test(databaseSecretArn)
  ) {
    throw new ConfigError('databaseSecretArn', 'must be a Secrets Manager secret ARN');
  }
  const kmsKey = config.databaseSecretKmsKeyArn;
  if (kmsKey !== undefined) {
    if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(kmsKey)) {
      throw new ConfigError(
        'databaseSecretKmsKeyArn',
        `must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; an alias cannot be granted), got ${JSON.stringify(kmsKey)}`,
      );
    }
    if (databaseSecretArn === undefined) {
      throw new ConfigError('databaseSecretKmsKeyArn', 'goes with databaseSecretArn');
    }
  }
  if (db.mode === 'aurora') {
    if (deployTarget === 'localstack') {
      throw new ConfigError(
        'database.mode',
        'aurora is not available on LocalStack: use database.mode=external with databaseUrl',
      );
    }
    for (const [key, value] of [
      ['databaseUrl', databaseUrl],
      ['databaseSecretArn', databaseSecretArn],
      ['databaseSecretKmsKeyArn', config.databaseSecretKmsKeyArn],
      ['database.vpcId', db.vpcId],
    ] as const) {
      if (value !== undefined) {
        throw new ConfigError(key, 'belongs to database.mode=external; aurora creates its own');
      }
    }
  } else {
    if (databaseUrl === undefined && databaseSecretArn === undefined) {
      throw new ConfigError(
        'databaseSecretArn',
        'database.mode=external needs databaseSecretArn (or databaseUrl with deployTarget=localstack)',
      );
    }
    if (db.vpcId !== undefined && (!db.subnetIds?.length || !db.securityGroupIds?.length)) {
      throw new ConfigError(
        'database.subnetIds',
        'database.vpcId needs database.subnetIds and database.securityGroupIds',
      );
    }
    if ((db.subnetIds?.length || db.securityGroupIds?.length) && db.vpcId === undefined) {
      throw new ConfigError('database.vpcId', 'subnet and security group ids need database.vpcId');
    }
  }
  if (databaseUrl !== undefined && deployTarget === 'aws') {
    const url = new URL(databaseUrl);
    const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(url.hostname);
    if (url.password !== '' || loopback) {
      throw new ConfigError(
        'databaseUrl',
        `a URL with ${url.password !== '' ? 'a password' : 'a loopback host'} is for LocalStack and the local runtime only (deployTarget=localstack); on AWS use database.mode=aurora or databaseSecretArn`,
      );
    }
  }
}

/**
 * Refuses what would deploy a function with no route to a service it calls.
 * With database.mode=aurora the database functions run in isolated subnets
 * (no NAT gateway; endpoints for Secrets Manager only), so the realtime
 * consumer's Timestream mirror would spend its connect timeouts on every batch
 * and fall behind the stream.
 */
function checkNetworkPaths(config: PricestreamConfig): void {
  if (config.timestream.enabled && config.database.mode === 'aurora') {
    throw new ConfigError(
      'timestream.enabled',
      'the realtime consumer runs in the Aurora stack’s isolated subnets, which have no route to Timestream (no NAT gateway, no Timestream endpoint): ' +
        'turn the mirror off, or use database.mode=external with database.vpcId and subnets that reach Timestream (a NAT gateway, or a Timestream ingest VPC endpoint with timestream.endpoint set to its URL)',
    );
  }
}

/**
 * A section of the configuration (`database`, `rollup`, …): its object, with
 * every key checked against the defaults, and how to name one of its settings.
 */
function section(raw: Raw, key: string, defaults: object): { r: Raw; at: (sub: string) => string } {
  const value = raw[key] ?? {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(key, 'must be an object');
  }
  const r = value as Raw;
  for (const sub of Object.keys(r)) {
    if (!Object.hasOwn(defaults, sub)) {
      throw new ConfigError(`${key}.${sub}`, unknownSetting(`${key}.${sub}`));
    }
  }
  return { r, at: (sub: string) => `${key}.${sub}` };
}

function unknownSetting(key: string): string {
  const renamed = RENAMED[key];
  return renamed ? `unknown setting (renamed: use ${renamed})` : 'unknown setting';
}

/** A schedule expression as EventBridge reads it; a bad one fails the synth with AWS's rule. */
function schedule(raw: Raw, key: string, fallback: string, name = plain): string {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'string') {
    throw new ConfigError(
      name(key),
      `must be a rate(...) or cron(...) expression, got ${JSON.stringify(value)}`,
    );
  }
  try {
    return parseScheduleExpression(value).expression;
  } catch (error) {
    if (error instanceof ScheduleExpressionError) throw new ConfigError(name(key), error.message);
    throw error;
  }
}

function database(raw: Raw, defaults: DatabaseConfig): DatabaseConfig {
  const { r, at } = section(raw, 'database', defaults);
  const minCapacity = halfSteps(r, 'minCapacity', defaults.minCapacity, 0, 256, at);
  const maxCapacity = halfSteps(r, 'maxCapacity', defaults.maxCapacity, 1, 256, at);
  if (maxCapacity < minCapacity) {
    throw new ConfigError(
      at('maxCapacity'),
      `must not be below database.minCapacity (${minCapacity})`,
    );
  }
  const name = r.name ?? defaults.name;
  if (typeof name !== 'string' || !/^[a-z][a-z0-9_]{0,62}$/.test(name)) {
    throw new ConfigError(
      at('name'),
      `must be a PostgreSQL identifier in lower case, got ${JSON.stringify(name)}`,
    );
  }
  return {
    mode: oneOf(r, 'mode', defaults.mode, ['aurora', 'external'] as const, at),
    proxy: bool(r, 'proxy', defaults.proxy, at),
    minCapacity,
    maxCapacity,
    deletionProtection: bool(r, 'deletionProtection', defaults.deletionProtection, at),
    snapshotOnDelete: bool(r, 'snapshotOnDelete', defaults.snapshotOnDelete, at),
    name,
    vpcId: idOf(r, 'vpcId', /^vpc-[0-9a-f]{8,17}$/, at),
    subnetIds: idList(r, 'subnetIds', /^subnet-[0-9a-f]{8,17}$/, at),
    securityGroupIds: idList(r, 'securityGroupIds', /^sg-[0-9a-f]{8,17}$/, at),
  };
}

function halfSteps(
  raw: Raw,
  key: string,
  fallback: number,
  min: number,
  max: number,
  name: Name,
): number {
  const value = coerce(raw[key] ?? fallback);
  if (typeof value !== 'number' || !Number.isInteger(value * 2) || value < min || value > max) {
    throw new ConfigError(
      name(key),
      `must be between ${min} and ${max} in steps of 0.5, got ${JSON.stringify(raw[key])}`,
    );
  }
  return value;
}

function idOf(raw: Raw, key: string, pattern: RegExp, name: Name): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new ConfigError(name(key), `must match ${pattern}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function idList(raw: Raw, key: string, pattern: RegExp, name: Name): string[] | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
  if (!Array.isArray(list) || list.some((id) => typeof id !== 'string' || !pattern.test(id))) {
    throw new ConfigError(
      name(key),
      `must be a list of ids matching ${pattern}, got ${JSON.stringify(value)}`,
    );
  }
  return list as string[];
}

function ssl(
  raw: Raw,
  fallback: PricestreamConfig['databaseSsl'],
): PricestreamConfig['databaseSsl'] {
  const value = raw.databaseSsl === 'require' ? 'verify-full' : raw.databaseSsl;
  return oneOf({ databaseSsl: value }, 'databaseSsl', fallback, [
    'verify-full',
    'disable',
  ] as const);
}

function optionalMatch(raw: Raw, key: string, pattern: RegExp): string | undefined {
  const value = optionalStr(raw, key);
  if (value !== undefined && !pattern.test(value)) {
    throw new ConfigError(key, `must match ${pattern}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function overridableKeys(): string[] {
  const keys: string[] = [];
  for (const [key, value] of Object.entries(DEFAULT_CONFIG)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const sub of Object.keys(value)) keys.push(`${key}.${sub}`);
    } else {
      keys.push(key);
    }
  }
  return keys;
}

function setPath(raw: Raw, path: string, value: unknown): void {
  const [head, sub] = path.split('.') as [string, string | undefined];
  if (sub === undefined) {
    raw[head] = value;
    return;
  }
  const inner = (raw[head] ?? {}) as Raw;
  inner[sub] = value;
  raw[head] = inner;
}

function consumer(raw: Raw, key: 'realtime' | 'batch', defaults: ConsumerConfig): ConsumerConfig {
  const { r: c, at } = section(raw, key, defaults);
  const parsed: ConsumerConfig = {
    batchSize: int(c, 'batchSize', defaults.batchSize, 1, 10_000, at),
    batchingWindowSeconds: int(
      c,
      'batchingWindowSeconds',
      defaults.batchingWindowSeconds,
      0,
      300,
      at,
    ),
    parallelizationFactor: int(
      c,
      'parallelizationFactor',
      defaults.parallelizationFactor,
      1,
      10,
      at,
    ),
    maxRetryAttempts: int(c, 'maxRetryAttempts', defaults.maxRetryAttempts, -1, 10_000, at),
    maxRecordAgeSeconds: int(
      c,
      'maxRecordAgeSeconds',
      defaults.maxRecordAgeSeconds,
      -1,
      604_800,
      at,
    ),
    bisectOnError: bool(c, 'bisectOnError', defaults.bisectOnError, at),
    startingPosition: oneOf(
      c,
      'startingPosition',
      defaults.startingPosition,
      ['LATEST', 'TRIM_HORIZON'] as const,
      at,
    ),
    timeoutSeconds: int(c, 'timeoutSeconds', defaults.timeoutSeconds, 1, 900, at),
    memoryMb: int(c, 'memoryMb', defaults.memoryMb, 128, 10_240, at),
    enhancedFanOut: bool(c, 'enhancedFanOut', defaults.enhancedFanOut, at),
  };
  if (parsed.maxRecordAgeSeconds !== -1 && parsed.maxRecordAgeSeconds < 60) {
    throw new ConfigError(at('maxRecordAgeSeconds'), 'must be -1 or between 60 and 604800');
  }
  return parsed;
}

function rollup(raw: Raw, defaults: RollupConfig): RollupConfig {
  const { r, at } = section(raw, 'rollup', defaults);
  return {
    schedule: schedule(r, 'schedule', defaults.schedule, at),
    sourceConsumer: oneOf(
      r,
      'sourceConsumer',
      defaults.sourceConsumer,
      ['realtime', 'batch'] as const,
      at,
    ),
    timeoutSeconds: int(r, 'timeoutSeconds', defaults.timeoutSeconds, 10, 900, at),
  };
}

function timestream(raw: Raw, defaults: TimestreamConfig): TimestreamConfig {
  const { r: t, at } = section(raw, 'timestream', defaults);
  const name = (key: 'databaseName' | 'tableName') => {
    const v = t[key] ?? defaults[key];
    if (typeof v !== 'string' || !/^[a-zA-Z0-9_.-]{3,256}$/.test(v)) {
      throw new ConfigError(
        at(key),
        `must be 3–256 letters, digits, _ . or -, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  const endpoint = optionalStr(t, 'endpoint');
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw new ConfigError(
      at('endpoint'),
      `must be an http(s) URL, got ${JSON.stringify(endpoint)}`,
    );
  }
  return {
    enabled: bool(t, 'enabled', defaults.enabled, at),
    databaseName: name('databaseName'),
    tableName: name('tableName'),
    endpoint,
  };
}

type Name = (key: string) => string;
const plain: Name = (key) => key;

function coerce(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  return value;
}

function int(raw: Raw, key: string, fallback: number, min: number, max: number, name = plain) {
  const value = coerce(raw[key] ?? fallback);
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ConfigError(name(key), `must be an integer, got ${JSON.stringify(raw[key])}`);
  }
  if (value < min || value > max) {
    throw new ConfigError(name(key), `must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function bool(raw: Raw, key: string, fallback: boolean, name = plain): boolean {
  const value = coerce(raw[key] ?? fallback);
  if (typeof value !== 'boolean') {
    throw new ConfigError(name(key), `must be true or false, got ${JSON.stringify(raw[key])}`);
  }
  return value;
}

function str(raw: Raw, key: string, fallback: string, pattern: RegExp): string {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new ConfigError(key, `must match ${pattern}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function optionalStr(raw: Raw, key: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigError(key, 'must be a string');
  return value;
}

function url(raw: Raw, key: string, fallback: string): string {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'string' || !/^https?:\/\/[^\s/]+/.test(value)) {
    throw new ConfigError(key, `must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return value.replace(/\/+$/, '');
}

function oneOf<T extends string>(
  raw: Raw,
  key: string,
  fallback: T,
  allowed: readonly T[],
  name = plain,
): T {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new ConfigError(
      name(key),
      `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

function symbols(raw: Raw): string[] {
  const value = raw.symbols ?? DEFAULT_CONFIG.symbols;
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError('symbols', 'must be a non-empty list of product ids like BTC-USD');
  }
  for (const symbol of list) {
    if (typeof symbol !== 'string' || !SYMBOL.test(symbol)) {
      throw new ConfigError(
        'symbols',
        `unknown symbol format ${JSON.stringify(symbol)}: expected BASE-QUOTE like BTC-USD`,
      );
    }
  }
  if (new Set(list).size !== list.length) throw new ConfigError('symbols', 'has duplicates');
  return list as string[];
}
