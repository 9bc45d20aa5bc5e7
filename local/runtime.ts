/**
 * The embedded local runtime: runs a synthesized stack on this machine.
 * Synthesizes (optionally), starts or connects to PostgreSQL and Kinesis,
 * creates the streams, runs the custom resources (migrations) and then the
 * functions, wired as the template says: schedules and event source mappings.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import pg from 'pg';
import { type Clock, type TimerClock, timerClockOf } from '../lambdas/shared/clock.ts';
import { runCustomResources } from './assembly/custom-resources.ts';
import {
  buildStackModel,
  type EventSourceMappingModel,
  type FunctionModel,
  type ScheduleRuleModel,
  type StackModel,
  type StreamModel,
} from './assembly/stack-model.ts';
import { synthesizeIfStale } from './assembly/synth.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, readStackArtifact } from './assembly/template.ts';
import {
  type FiredTarget,
  type RateStart,
  type ScheduledRule,
  Scheduler,
} from './eventbridge/scheduler.ts';
import { CheckpointStore } from './kinesis/checkpoints.ts';
import { DeadLetterStore } from './kinesis/dead-letter.ts';
import { KinesisEventSourceMapping } from './kinesis/event-source-mapping.ts';
import { createRuntimeKinesisClient } from './kinesis/kinesis-client.ts';
import {
  pendingDeadLetters,
  type RedriveOutcome,
  recordRedrive,
  redriveBatch,
} from './kinesis/redrive.ts';
import { keepRetention, RetentionKeeper, type TrimRequest } from './kinesis/retention.ts';
import { ensureStreams } from './kinesis/streams.ts';
import { FaultPlanFile } from './lambda/faults.ts';
import { matchFunction } from './lambda/function-names.ts';
import { hostMismatchNotice } from './lambda/host-node.ts';
import type { InvokeTarget } from './lambda/invoke-api.ts';
import { type InvocationRecord, LambdaHost } from './lambda/lambda-host.ts';
import { refuseIfRunning } from './services/leftovers.ts';
import { type RunningServices, startServices } from './services/local-services.ts';
import { type BackoffOptions, errorMessage, StoppedError } from './shared/backoff.ts';
import { displayUrl } from './shared/display-url.ts';
import { CHECKPOINT_TABLE, DEAD_LETTER_TABLE, ensureLocalSchema } from './shared/local-sql.ts';
import {
  type RuntimeEventMap,
  RuntimeEvents,
  type RuntimeListener,
  type RuntimeListeners,
} from './shared/runtime-events.ts';
import { refusedByPostgres, type StartWait, whenAvailable } from './shared/start-wait.ts';

export const PROJECT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface LocalRuntimeOptions {
  /** Where cdk.json is. Default: this repository. */
  projectDir?: string;
  /** Cloud assembly directory. Default PRICESTREAM_CDK_OUT or `cdk.out`, relative to projectDir. */
  cdkOut?: string;
  /**
   * Run `cdk synth` first: `'if-stale'` (the default) unless the cloud assembly
   * is current for the sources (see assembly/synth.ts), true always, false
   * never (the existing cloud assembly as it is).
   */
  synth?: boolean | 'if-stale';
  /**
   * `-c key=value` context for the synthesis (`pricestream:rollup.schedule`…);
   * part of what makes cdk.out current.
   */
  context?: Record<string, string>;
  /** The stack to run when the assembly has several. */
  stackName?: string;
  /** Embedded servers keep their data here. Default PRICESTREAM_DATA_DIR or `.data`. */
  dataDir?: string;
  /** External PostgreSQL. Default DATABASE_URL; when unset, embedded PostgreSQL is started. */
  databaseUrl?: string;
  /** Embedded PostgreSQL port. Default PRICESTREAM_PG_PORT or 54329. */
  postgresPort?: number;
  /** Database of the embedded server. Default `pricestream`. */
  database?: string;
  /** External Kinesis. Default AWS_ENDPOINT_URL_KINESIS; when unset, kinesis-local is started. */
  kinesisEndpoint?: string;
  /** kinesis-local port. Default PRICESTREAM_KINESIS_PORT or 4568. */
  kinesisPort?: number;
  /** Default us-east-1. */
  region?: string;
  /** Default 000000000000. */
  account?: string;
  /**
   * Extra environment per function, applied last: keyed by short name
   * (`FetchPrices`), logical id or function name, e.g.
   * `{ FetchPrices: { PRICE_SOURCE: 'sim' } }`, or computed per function.
   */
  functionEnv?: FunctionEnvOverrides;
  /** Run schedule rules. Default true; a function decides per rule and target. */
  schedules?: boolean | ((rule: ScheduleRuleModel, fn: FunctionModel) => boolean);
  /** Multiplies the periods of rate() schedules (tests): 0.001 turns rate(1 minute) into 60 ms. Default 1. */
  scheduleTimeScale?: number;
  /**
   * When rate() rules first fire: `now`, at start (the default, so the first
   * data comes at once), or `period`, one period after start as on AWS.
   */
  rateStart?: RateStart;
  /** Run event source mappings. Default true; a function decides per mapping. */
  eventSourceMappings?: boolean | ((mapping: EventSourceMappingModel) => boolean);
  /** Run custom resources (migrations) before the rest. Default true. */
  customResources?: boolean;
  /** GetRecords interval on an idle shard, ms. Default 1000 (like Lambda). */
  pollIntervalMs?: number;
  /**
   * How mappings on a registered stream consumer (enhanced fan-out) read:
   * `poll` (default) GetRecords every `efoPollIntervalMs` on an idle shard,
   * close to enhanced fan-out's push latency on AWS; `subscribe`
   * SubscribeToShard, which kinesis-local answers but pushes once a second.
   */
  enhancedFanOut?: 'poll' | 'subscribe';
  /** GetRecords interval on an idle shard of an enhanced fan-out mapping, ms. Default 20. */
  efoPollIntervalMs?: number;
  /** Retry delays of failed batches and bookkeeping writes. Default 500 ms doubling to 10 s. */
  retryBackoff?: BackoffOptions;
  /** How often mappings look for new shards, ms. Default 30,000. */
  shardRefreshMs?: number;
  /** How long stop() lets running invocations finish, ms. Default 10,000. */
  shutdownGraceMs?: number;
  /** Subscribed before anything starts, so start-up output is seen too. */
  listeners?: RuntimeListeners;
  /** Forwarded output of `cdk synth` and the embedded servers. */
  onServiceLog?: (source: 'synth' | 'postgres' | 'kinesis', line: string) => void;
  /** Where the defaults above are read from. Default process.env. */
  env?: Record<string, string | undefined>;
  /**
   * A fault plan file for the Lambda host (see lambda/faults.ts): the fault
   * suite's way in. Default PRICESTREAM_FAULTS_FILE; none when unset.
   */
  faultPlanFile?: string;
  /**
   * Default true. False: no Kinesis at all, neither started nor called, no
   * streams, no event source mappings (npm run redrive needs only functions).
   */
  kinesis?: boolean;
  /**
   * How long start-up waits for a PostgreSQL or Kinesis that does not answer
   * yet, ms. Default PRICESTREAM_START_WAIT_SECONDS or 60 s.
   */
  startWaitMs?: number;
  /**
   * The runtime's clock, which every timer of the runtime reads: schedules,
   * the event source mappings' polling, batching windows, retries and
   * backoff, shard refreshes, record age and dead-letter times, the
   * retention's passes and what is old enough to drop. Give a driven clock (local/shared/driven-clock.ts)
   * to run all of it without waiting; a plain Clock gets real timers.
   * Default the system clock. What the real world times stays real: the
   * functions themselves and their timeouts, kinesis-local's arrival stamps
   * (read on this clock, see TimerClock.fromSystemTime), PostgreSQL's now(),
   * and the waits that bound the real world (the start-up's wait for its
   * services, the stop's grace for invocations in flight). See
   * docs/time-and-schedules.md.
   */
  clock?: Clock | TimerClock;
  /**
   * Local only: the streams keep their records this many minutes instead of
   * the template's RetentionPeriodHours (tests and soaks age records out in
   * minutes). Default: the template's.
   */
  retentionMinutes?: number;
  /**
   * Drop records past the retention from kinesis-local (patched, see
   * retention.ts). Default: when the runtime started kinesis-local itself; an
   * external Kinesis is left alone.
   */
  trimStreams?: boolean;
  /** How often the retention is applied, ms. Default a tenth of the retention, 1 s to 60 s. */
  trimIntervalMs?: number;
}

export type FunctionEnvOverrides =
  | Record<string, Record<string, string>>
  | ((fn: FunctionModel) => Record<string, string> | undefined);

export interface RuntimeSettings {
  projectDir: string;
  cdkOut: string;
  dataDir: string;
  databaseUrl: string | undefined;
  kinesisEndpoint: string | undefined;
  postgresPort: number;
  kinesisPort: number;
  database: string;
  region: string;
  account: string;
  /** How long start-up waits for PostgreSQL and Kinesis to answer. */
  startWaitMs: number;
}

/** Options and environment variables, merged: options win. */
export function resolveSettings(options: LocalRuntimeOptions): RuntimeSettings {
  const env = options.env ?? process.env;
  const projectDir = options.projectDir ?? PROJECT_DIR;
  const port = (value: number | undefined, name: string, fallback: number) => {
    if (value !== undefined) return value;
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65_535) {
      throw new Error(`${name} must be a port number, got ${JSON.stringify(raw)}`);
    }
    return parsed;
  };
  const nonEmpty = (value: string | undefined) =>
    value === undefined || value === '' ? undefined : value;
  return {
    projectDir,
    cdkOut: path.resolve(
      projectDir,
      options.cdkOut ?? nonEmpty(env.PRICESTREAM_CDK_OUT) ?? 'cdk.out',
    ),
    dataDir: path.resolve(
      projectDir,
      options.dataDir ?? nonEmpty(env.PRICESTREAM_DATA_DIR) ?? '.data',
    ),
    databaseUrl: options.databaseUrl ?? nonEmpty(env.DATABASE_URL),
    kinesisEndpoint: options.kinesisEndpoint ?? nonEmpty(env.AWS_ENDPOINT_URL_KINESIS),
    postgresPort: port(options.postgresPort, 'PRICESTREAM_PG_PORT', 54329),
    kinesisPort: port(options.kinesisPort, 'PRICESTREAM_KINESIS_PORT', 4568),
    database: options.database ?? 'pricestream',
    region: options.region ?? LOCAL_REGION,
    account: options.account ?? LOCAL_ACCOUNT,
    startWaitMs: options.startWaitMs ?? seconds(env.PRICESTREAM_START_WAIT_SECONDS, 60) * 1000,
  };
}

function seconds(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(
      `PRICESTREAM_START_WAIT_SECONDS must be a number of seconds, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

export interface LocalFunction {
  /** Short name, used in logs and by invoke(). */
  name: string;
  logicalId: string;
  functionName: string;
  arn: string;
  /** Whether the runtime runs it; see notHostedBecause otherwise. */
  hosted: boolean;
  notHostedBecause: string | undefined;
  /** The environment its execution environments get (before Lambda's reserved variables). */
  environment: Readonly<Record<string, string>>;
}

export interface LocalRuntime {
  readonly stackName: string;
  readonly cdkOut: string;
  readonly databaseUrl: string;
  readonly kinesisEndpoint: string;
  readonly region: string;
  readonly account: string;
  /** `local_runtime.dead_letters`: the mappings' on-failure destination. */
  readonly deadLetterTable: string;
  readonly checkpointTable: string;
  /** Process ids of the servers this runtime started (undefined: external or not started). */
  readonly pids: { postgres: number | undefined; kinesis: number | undefined };
  /** How long each stream keeps its records, ms (the template's, or retentionMinutes). */
  readonly retentionMs: Readonly<Record<string, number>>;
  readonly model: StackModel;
  readonly streams: readonly StreamModel[];
  readonly functions: readonly LocalFunction[];
  readonly mappings: readonly KinesisEventSourceMapping[];
  /** What the schedules run on (see LocalRuntimeOptions.clock). */
  readonly clock: TimerClock;
  /** Invokes a hosted function (by short name, logical id or function name) and returns its result. */
  invoke(fn: string, event: unknown, options?: { requestId?: string }): Promise<unknown>;
  /**
   * Invokes a hosted function and resolves with its outcome and its own log
   * lines (what Lambda's Invoke returns with LogType Tail); a function error
   * is in the record, not thrown.
   */
  invokeWithLog(fn: string, event: unknown): Promise<InvocationRecord>;
  /**
   * A function by short name, logical id, function name or ARN (a qualifier,
   * if any, must be $LATEST), as Lambda's Invoke accepts it.
   */
  findFunction(nameOrArn: string, qualifier?: string): LocalFunction | undefined;
  /** Each schedule rule with its next `count` firings (default 3), or why it does not run. */
  schedules(count?: number): ScheduledRule[];
  /**
   * Fires a schedule rule now (by short name, logical id, name or ARN) with
   * what its targets get on schedule; they run asynchronously, as from
   * EventBridge. Throws UnknownRuleError for a rule the stack does not have.
   */
  fire(rule: string): FiredTarget[];
  /**
   * Delivers the dead letters not redriven yet (all, or those `filter`
   * names) to their functions again, as a normal batch; marks each redriven
   * or counts the failed attempt.
   */
  redrive(filter?: RedriveFilter): Promise<RedriveReport[]>;
  on<K extends keyof RuntimeEventMap>(kind: K, listener: RuntimeListener<K>): () => void;
  /**
   * Applies the retention now (it also runs every trimIntervalMs): asks
   * kinesis-local to drop the records past it that every mapping is past.
   * Resolves to what was asked; empty when the runtime does not trim.
   */
  trimStreams(): Promise<TrimRequest[]>;
  /**
   * Stops schedules and pollers, lets running invocations finish (bounded by
   * shutdownGraceMs), ends the execution environments, then stops the servers
   * it started. Safe to call twice.
   */
  stop(): Promise<void>;
}

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const settings = resolveSettings(options);
  // Without Kinesis (npm run redrive): nothing is started or called there.
  if (options.kinesis === false) settings.kinesisEndpoint ??= NO_KINESIS;
  const clock = timerClockOf(options.clock);
  const events = new RuntimeEvents();
  if (options.listeners) events.subscribe(options.listeners);
  const cleanups: Array<() => Promise<void>> = [];
  const graceMs = options.shutdownGraceMs ?? 10_000;
  // One grace period for the whole stop, shared by mappings and scheduled invocations.
  let stopDeadline = Number.POSITIVE_INFINITY;
  const remainingGrace = () => Math.max(0, stopDeadline - Date.now());
  const cleanUp = async () => {
    stopDeadline = Date.now() + graceMs;
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error) =>
        events.notice('error', 'runtime', `while stopping: ${String(error)}`),
      );
    }
  };

  try {
    // A runtime already running on this data folder is refused before the
    // synthesis, which would rewrite the cloud assembly under it.
    if (!settings.databaseUrl || !settings.kinesisEndpoint) await refuseIfRunning(settings.dataDir);
    const [synthResult, servicesResult] = await Promise.allSettled([
      options.synth === false
        ? Promise.resolve()
        : synthesizeIfStale({
            projectDir: settings.projectDir,
            outDir: settings.cdkOut,
            force: options.synth === true,
            ...(options.context ? { context: options.context } : {}),
            onLine: (line) => options.onServiceLog?.('synth', line),
            onSynthesize: () =>
              events.notice('info', 'runtime', `synthesizing the stack into ${settings.cdkOut}`),
          }).then((outcome) => {
            if (outcome === 'current')
              events.notice(
                'info',
                'runtime',
                `${settings.cdkOut} is current for the sources: not synthesized again`,
              );
          }),
      startServices(settings, options.onServiceLog, (line) =>
        events.notice('info', 'runtime', line),
      ),
    ]);
    if (servicesResult.status === 'fulfilled') cleanups.push(servicesResult.value.stop);
    if (synthResult.status === 'rejected') throw synthResult.reason;
    if (servicesResult.status === 'rejected') throw servicesResult.reason;
    const services: RunningServices = servicesResult.value;

    const artifact = await readStackArtifact(settings.cdkOut, options.stackName);
    const model = buildStackModel(artifact, { region: settings.region, account: settings.account });
    for (const warning of model.warnings) events.notice('warn', 'runtime', warning);
    const hostMismatch = hostMismatchNotice(model.functions);
    if (hostMismatch) events.notice('warn', 'runtime', hostMismatch);

    const pool = new pg.Pool({ connectionString: services.databaseUrl, max: 4 });
    // An idle client losing its server (a restart) must not crash the runtime.
    pool.on('error', () => {});
    cleanups.push(() => pool.end());
    const wait: StartWait = {
      timeoutMs: settings.startWaitMs,
      notice: (line) => events.notice('warn', 'runtime', line),
    };
    // A database or Kinesis that is still starting is waited for, not fatal.
    await whenAvailable('PostgreSQL', () => ensureLocalSchema(pool), wait).catch((error) => {
      const server =
        services.postgresPid === undefined
          ? `${displayUrl(services.databaseUrl)} (DATABASE_URL)`
          : displayUrl(services.databaseUrl);
      throw refusedByPostgres(error, server) ?? error;
    });

    const kinesis = createRuntimeKinesisClient(services.kinesisEndpoint, settings.region);
    cleanups.push(async () => kinesis.destroy());
    if (options.kinesis !== false) {
      await whenAvailable('Kinesis', () => ensureStreams(kinesis, model.streams, events), wait);
    }

    const faultFile = options.faultPlanFile ?? nonEmptyEnv(options.env, 'PRICESTREAM_FAULTS_FILE');
    const faults = faultFile ? new FaultPlanFile(faultFile) : undefined;
    if (faults) {
      cleanups.push(async () => faults.close());
      events.notice(
        'warn',
        'runtime',
        `injecting the faults planned in ${faultFile} (npm run chaos)`,
      );
    }
    const host = new LambdaHost(events, () => faults?.current());
    const functions = model.functions.map((fn) =>
      describeFunction(fn, services, settings, options.functionEnv ?? {}),
    );
    for (const [i, fn] of model.functions.entries()) {
      const local = functions[i] as LocalFunction;
      if (!fn.code) {
        if (!fn.userOnEventFunctionArn) {
          events.notice(
            'info',
            'runtime',
            `function ${fn.displayName} not run locally: ${fn.notHostedBecause}`,
          );
        }
        continue;
      }
      host.register({
        name: fn.displayName,
        functionName: fn.functionName,
        arn: fn.arn,
        entryFile: fn.code.entryFile,
        handlerPath: fn.code.handlerPath,
        environment: local.environment,
        timeoutSeconds: fn.timeoutSeconds,
        memoryMb: fn.memoryMb,
        logGroupName: fn.logGroupName,
        region: settings.region,
        runtime: fn.runtime,
        ...(fn.reservedConcurrency ? { reservedConcurrency: fn.reservedConcurrency } : {}),
      });
    }
    let mappings: KinesisEventSourceMapping[] = [];
    cleanups.push(async () => {
      await host.drain(remainingGrace());
      await host.stop();
      // Consumers still waiting on an invocation end once the Workers are gone.
      await Promise.all(mappings.map((mapping) => mapping.closed()));
    });

    if (options.customResources !== false) {
      await whenAvailable(
        'PostgreSQL (custom resources)',
        () => runCustomResources(model, (fn, event) => host.invoke(fn.displayName, event), events),
        wait,
      );
    }

    const redriving = new AbortController();
    cleanups.push(async () => redriving.abort());
    const retentionMs = Object.fromEntries(
      model.streams.map((stream) => [
        stream.name,
        options.retentionMinutes !== undefined
          ? options.retentionMinutes * 60_000
          : stream.retentionHours * 3_600_000,
      ]),
    );
    const checkpoints = new CheckpointStore(pool, clock);
    mappings = await startMappings(
      model,
      options.kinesis === false ? { ...options, eventSourceMappings: false } : options,
      wait,
      {
        host,
        kinesis,
        events,
        checkpoints,
        deadLetters: new DeadLetterStore(pool, clock),
        region: settings.region,
        retentionMs,
        clock,
      },
    );
    // Mappings stop before the host: running batches may finish and checkpoint.
    cleanups.push(async () => {
      await Promise.all(mappings.map((mapping) => mapping.stop(remainingGrace())));
    });

    const trimming =
      options.kinesis !== false && (options.trimStreams ?? services.kinesisPid !== undefined);
    const keepers = trimming
      ? model.streams.map(
          (stream) =>
            new RetentionKeeper({
              kinesis,
              streamName: stream.name,
              retentionMs: retentionMs[stream.name] as number,
              mappings: mappings
                .filter((mapping) => mapping.model.streamName === stream.name)
                .map((mapping) => mapping.model),
              checkpoints,
              clock,
            }),
        )
      : [];
    const retention = keepRetention(keepers, {
      clock,
      everyMs:
        options.trimIntervalMs ??
        Math.min(60_000, Math.max(1_000, Math.min(...Object.values(retentionMs)) / 10)),
      notice: (message) => events.notice('warn', 'retention', message),
    });
    cleanups.push(async () => retention.stop());

    const scheduler = new Scheduler({
      rules: model.rules,
      region: settings.region,
      account: settings.account,
      events,
      clock,
      ...(options.scheduleTimeScale !== undefined ? { timeScale: options.scheduleTimeScale } : {}),
      ...(options.rateStart ? { rateStart: options.rateStart } : {}),
      include: (rule, logicalId) => {
        const fn = model.functions.find((f) => f.logicalId === logicalId);
        if (!fn?.code) return false;
        const choice = options.schedules ?? true;
        return typeof choice === 'function' ? choice(rule, fn) : choice;
      },
      invoke: (logicalId, event) => {
        const fn = model.functions.find((f) => f.logicalId === logicalId);
        return fn
          ? host.invoke(fn.displayName, event)
          : Promise.reject(new Error(`no function ${logicalId}`));
      },
    });
    scheduler.start();
    cleanups.push(async () => scheduler.stop());

    let stopping: Promise<void> | undefined;
    return {
      stackName: model.stackName,
      cdkOut: settings.cdkOut,
      databaseUrl: services.databaseUrl,
      kinesisEndpoint: services.kinesisEndpoint,
      region: settings.region,
      account: settings.account,
      deadLetterTable: DEAD_LETTER_TABLE,
      checkpointTable: CHECKPOINT_TABLE,
      pids: { postgres: services.postgresPid, kinesis: services.kinesisPid },
      retentionMs,
      model,
      streams: model.streams,
      functions,
      mappings,
      clock,
      invoke: (name, event, invokeOptions) =>
        host.invoke(resolveFunctionName(functions, name), event, invokeOptions),
      invokeWithLog: (name, event) =>
        host.invokeWithLog(resolveFunctionName(functions, name), event),
      findFunction: (nameOrArn, qualifier) =>
        matchFunction(
          functions,
          nameOrArn,
          { region: settings.region, account: settings.account },
          qualifier,
        ),
      schedules: (count) => scheduler.rules(count),
      fire: (rule) => scheduler.fire(rule),
      redrive: (filter = {}) =>
        redriveDeadLetters({
          db: pool,
          model,
          filter,
          invoke: (fn, event) => host.invoke(fn.displayName, event),
          signal: redriving.signal,
          clock,
          backoff: options.retryBackoff ?? {},
          notice: (message) => events.notice('info', 'redrive', message),
        }),
      on: (kind, listener) => events.on(kind, listener),
      trimStreams: () => retention.trim(),
      stop: () => {
        // Cleanups run in reverse: scheduler, mappings (grace for running
        // batches), Lambda host (drain, then end the Workers), Kinesis
        // client, pool, servers.
        stopping ??= cleanUp();
        return stopping;
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** The runtime as the Lambda Invoke API (local/lambda/invoke-api.ts) serves it. */
export function invokeTargetOf(runtime: LocalRuntime): InvokeTarget {
  return {
    region: runtime.region,
    account: runtime.account,
    findFunction: (ref, qualifier) => runtime.findFunction(ref, qualifier),
    invokeWithLog: (name, event) => runtime.invokeWithLog(name, event),
    invokeAsync: (name, event) => {
      const requestId = randomUUID();
      // The runtime's printer reports a failure, as CloudWatch would hold it.
      runtime.invoke(name, event, { requestId }).catch(() => {});
      return { requestId };
    },
  };
}

function nonEmptyEnv(
  env: Record<string, string | undefined> | undefined,
  name: string,
): string | undefined {
  const value = (env ?? process.env)[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The Kinesis endpoint of a runtime started without Kinesis: nothing listens there. */
const NO_KINESIS = 'http://127.0.0.1:9';

export interface RedriveFilter {
  ids?: readonly string[];
  /** The function's name (as in the dead letter) or its short name. */
  functionName?: string;
  /** Retries of a batch that still fails. Default 2. */
  retries?: number;
}

export interface RedriveReport {
  id: string;
  function: string;
  shardId: string;
  records: number;
  reason: string;
  outcome: RedriveOutcome;
}

async function redriveDeadLetters(deps: {
  db: pg.Pool;
  model: StackModel;
  filter: RedriveFilter;
  invoke(fn: FunctionModel, event: unknown): Promise<unknown>;
  signal: AbortSignal;
  clock: TimerClock;
  backoff: BackoffOptions;
  notice(message: string): void;
}): Promise<RedriveReport[]> {
  const { model, filter } = deps;
  const named = filter.functionName
    ? (model.functions.find((f) => f.displayName === filter.functionName)?.functionName ??
      filter.functionName)
    : undefined;
  const pending = await pendingDeadLetters(deps.db, {
    ...(filter.ids ? { ids: filter.ids } : {}),
    ...(named ? { functionName: named } : {}),
  });
  const reports: RedriveReport[] = [];
  for (const deadLetter of pending) {
    const mapping = model.mappings.find((m) => m.uuid === deadLetter.mappingId);
    const fn = model.functions.find(
      (f) =>
        f.logicalId === mapping?.functionLogicalId || f.functionName === deadLetter.functionName,
    );
    let outcome: RedriveOutcome;
    if (!fn?.code) {
      outcome = { ok: false, error: `function ${deadLetter.functionName} is not in this stack` };
    } else {
      try {
        outcome = await redriveBatch(deadLetter, {
          invoke: (event) => deps.invoke(fn, event),
          policy: {
            maximumRetryAttempts: filter.retries ?? 2,
            bisectBatchOnFunctionError: mapping?.bisectBatchOnFunctionError ?? true,
            reportBatchItemFailures: mapping?.reportBatchItemFailures ?? true,
            backoff: deps.backoff,
          },
          signal: deps.signal,
          clock: deps.clock,
        });
      } catch (error) {
        if (error instanceof StoppedError) throw error;
        outcome = { ok: false, error: errorMessage(error) };
      }
    }
    await recordRedrive(deps.db, deadLetter.id, outcome);
    deps.notice(
      `dead letter ${deadLetter.id} (${deadLetter.batchSize} records of ${deadLetter.shardId}) → ${fn?.displayName ?? deadLetter.functionName}: ${outcome.ok ? 'redriven' : outcome.error}`,
    );
    reports.push({
      id: deadLetter.id,
      function: fn?.displayName ?? deadLetter.functionName,
      shardId: deadLetter.shardId,
      records: deadLetter.batchSize,
      reason: deadLetter.reason,
      outcome,
    });
  }
  return reports;
}

async function startMappings(
  model: StackModel,
  options: LocalRuntimeOptions,
  wait: StartWait,
  deps: {
    host: LambdaHost;
    kinesis: KinesisClient;
    events: RuntimeEvents;
    checkpoints: CheckpointStore;
    deadLetters: DeadLetterStore;
    region: string;
    /** Per stream. */
    retentionMs: Readonly<Record<string, number>>;
    clock: TimerClock;
  },
): Promise<KinesisEventSourceMapping[]> {
  const mappings: KinesisEventSourceMapping[] = [];
  const choice = options.eventSourceMappings ?? true;
  for (const mapping of model.mappings) {
    const fn = model.functions.find((f) => f.logicalId === mapping.functionLogicalId);
    if (!fn?.code) {
      deps.events.notice(
        'warn',
        'runtime',
        `mapping ${mapping.logicalId}: its function cannot run locally; skipped`,
      );
      continue;
    }
    if (!mapping.enabled) {
      deps.events.notice(
        'info',
        'runtime',
        `mapping ${mapping.logicalId} is disabled in the template`,
      );
      continue;
    }
    if (!(typeof choice === 'function' ? choice(mapping) : choice)) continue;
    const stream = model.streams.find((s) => s.name === mapping.streamName);
    const esm = new KinesisEventSourceMapping({
      model: mapping,
      fn,
      region: deps.region,
      retentionMs: deps.retentionMs[mapping.streamName] ?? 24 * 3_600_000,
      kinesis: deps.kinesis,
      invoke: (event) => deps.host.invoke(fn.displayName, event),
      checkpoints: deps.checkpoints,
      deadLetters: deps.deadLetters,
      events: deps.events,
      clock: deps.clock,
      ensureStream: async () => {
        if (!stream) throw new Error(`stream ${mapping.streamName} is not in the template`);
        await ensureStreams(deps.kinesis, [stream], deps.events);
      },
      options: {
        pollIntervalMs: options.pollIntervalMs ?? 1000,
        backoff: options.retryBackoff ?? {},
        shardRefreshMs: options.shardRefreshMs ?? 30_000,
        enhancedFanOut: {
          transport: options.enhancedFanOut ?? 'poll',
          pollIntervalMs: options.efoPollIntervalMs ?? 20,
        },
      },
    });
    mappings.push(esm);
  }
  // Started only once all are built, so a failure leaves nothing half-running.
  try {
    for (const esm of mappings)
      await whenAvailable(`Kinesis (${esm.name})`, () => esm.start(), wait);
  } catch (error) {
    await Promise.all(mappings.map((esm) => esm.stop(0)));
    throw error;
  }
  return mappings;
}

/** The function's environment: template variables, local wiring, then the caller's overrides. */
export function describeFunction(
  fn: FunctionModel,
  services: Pick<RunningServices, 'databaseUrl' | 'kinesisEndpoint'>,
  settings: Pick<RuntimeSettings, 'region'>,
  overrides: FunctionEnvOverrides = {},
): LocalFunction {
  const extra =
    typeof overrides === 'function'
      ? overrides(fn)
      : {
          ...overrides[fn.displayName],
          ...overrides[fn.logicalId],
          ...overrides[fn.functionName],
        };
  const environment: Record<string, string> = {
    ...fn.environment,
    AWS_ENDPOINT_URL_KINESIS: services.kinesisEndpoint,
    DATABASE_URL: services.databaseUrl,
    DATABASE_SSL: 'disable',
    AWS_REGION: settings.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    ...(fn.logFormat ? { AWS_LAMBDA_LOG_FORMAT: fn.logFormat } : {}),
    ...(fn.applicationLogLevel ? { AWS_LAMBDA_LOG_LEVEL: fn.applicationLogLevel } : {}),
    ...extra,
  };
  // A secret, IAM authentication through the proxy and the RDS CAs are how AWS
  // reaches the database; locally DATABASE_URL does, with its password.
  for (const name of AWS_DATABASE_VARIABLES) delete environment[name];
  return {
    name: fn.displayName,
    logicalId: fn.logicalId,
    functionName: fn.functionName,
    arn: fn.arn,
    hosted: fn.code !== undefined,
    notHostedBecause: fn.notHostedBecause,
    environment,
  };
}

/** What the stack sets for a function on AWS and the local runtime replaces with DATABASE_URL. */
const AWS_DATABASE_VARIABLES = [
  'DATABASE_SECRET_ARN',
  'DATABASE_AUTH',
  'DATABASE_HOST',
  'DATABASE_PORT',
  'DATABASE_NAME',
  'DATABASE_USER',
  'DATABASE_APP_USER',
  'DATABASE_SSL_CA_FILE',
  'NODE_EXTRA_CA_CERTS',
];

function resolveFunctionName(functions: readonly LocalFunction[], name: string): string {
  const fn = functions.find(
    (f) => f.name === name || f.logicalId === name || f.functionName === name,
  );
  return fn?.name ?? name;
}
