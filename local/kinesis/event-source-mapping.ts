/**
 * One AWS::Lambda::EventSourceMapping on a Kinesis stream: finds the shards,
 * runs a consumer per shard from its checkpoint, and invokes the function
 * with KinesisStreamEvents as the mapping's settings say.
 */
import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  type Clock,
  systemClock,
  type Timer,
  type TimerClock,
} from '../../lambdas/shared/clock.ts';
import type { EventSourceMappingModel, FunctionModel } from '../assembly/stack-model.ts';
import {
  type BackoffOptions,
  errorMessage,
  retryUntilDone,
  StoppedError,
  sleep,
} from '../shared/backoff.ts';
import { DEAD_LETTER_TABLE } from '../shared/local-sql.ts';
import type { RuntimeEvents } from '../shared/runtime-events.ts';
import { type GivenUp, type InvokeOutcome, lowestFailedIndex, processLane } from './batch-retry.ts';
import type { Checkpoint, CheckpointStore } from './checkpoints.ts';
import type { DeadLetterStore } from './dead-letter.ts';
import {
  type EventSourceIdentity,
  eventEnvelopeBytes,
  eventRecordBytes,
  MAX_PAYLOAD_BYTES,
  type ShardRecord,
  toKinesisEvent,
} from './kinesis-event.ts';
import { ShardConsumer } from './shard-consumer.ts';
import { PollingShardReader, type ShardRecordSource, type StartingPoint } from './shard-reader.ts';
import { ensureStreamConsumer } from './stream-consumers.ts';
import { listShards } from './streams.ts';
import { SubscriptionShardReader } from './subscription-reader.ts';

/**
 * How a mapping on a registered stream consumer (enhanced fan-out) reads:
 * `poll`, GetRecords every `pollIntervalMs` on an idle shard, which gives
 * the push latency of enhanced fan-out on AWS (tens of ms); or `subscribe`,
 * SubscribeToShard, the real API, which kinesis-local pushes only once a second.
 */
export interface EnhancedFanOutOptions {
  transport: 'poll' | 'subscribe';
  pollIntervalMs: number;
}

export interface MappingOptions {
  /** Wait between GetRecords calls on an idle shard. Lambda: about 1 s. */
  pollIntervalMs: number;
  /** Delays between retries of a failed batch and of the runtime's own writes. */
  backoff: BackoffOptions;
  /** How often to look for new shards (resharding). */
  shardRefreshMs: number;
  /** Records read ahead per shard at most. */
  maxBufferedRecords?: number;
  /** Mappings on a stream consumer. Default: polling every 20 ms. */
  enhancedFanOut?: EnhancedFanOutOptions;
}

/** Creates the stream as the template says when it does not exist (deleted while running). */
export type EnsureStream = () => Promise<void>;

export interface MappingDeps {
  model: EventSourceMappingModel;
  fn: FunctionModel;
  region: string;
  /**
   * The stream's retention, ms: a record older than this is given up
   * (RecordAgeExceeded, to the dead letters), retries or not.
   */
  retentionMs: number;
  kinesis: KinesisClient;
  /** Synchronous invocation of the mapping's function. */
  invoke(event: unknown): Promise<unknown>;
  checkpoints: CheckpointStore;
  deadLetters: DeadLetterStore;
  events: RuntimeEvents;
  options: MappingOptions;
  /**
   * The runtime's clock: polling, batching windows, retries and backoff,
   * shard refreshes and the stop's grace run on it; record age and
   * dead-letter times are read from it.
   */
  clock: TimerClock;
  /**
   * kinesis-local's clock (the system's; tests may set another): where a
   * LATEST start begins in the stream, in the time the stream stamps its
   * records with. Default the system clock.
   */
  streamClock?: Clock;
  ensureStream: EnsureStream;
}

export interface MappingStatus {
  logicalId: string;
  uuid: string;
  function: string;
  stream: string;
  shards: string[];
  /** Invocations made, retries included. */
  batches: number;
  /** Records in successful invocations (a partial response counts the ones before the failure). */
  recordsSucceeded: number;
  recordsDeadLettered: number;
  /** Of those, records that aged out of the retention before they were processed. */
  recordsAgedOut: number;
  /** Last checkpointed sequence number per shard. */
  checkpoints: Record<string, string>;
}

export class KinesisEventSourceMapping {
  readonly name: string;
  /** Aborted first on stop: no new reads, sleeps or invocations. */
  private readonly stopping = new AbortController();
  /** Aborted when the grace period ends: bookkeeping retries give up too. */
  private readonly killed = new AbortController();
  /** The shard consumers of the stream as it is now; aborted when it is re-created. */
  private generation = new AbortController();
  private lastOutageRefresh = 0;
  private readonly consumers = new Map<string, Promise<void>>();
  private readonly finishedShards = new Set<string>();
  private readonly unavailableShards = new Set<string>();
  private readonly sizes = new WeakMap<ShardRecord, number>();
  private streamCreatedAt: Date | undefined;
  /** The registered consumer's ARN in Kinesis, for an enhanced fan-out mapping. */
  private consumerArn: string | undefined;
  private refreshTimer: Timer | undefined;
  private refreshing: Promise<void> | undefined;
  /** Asked to look for shards while a look was under way: look once more after it. */
  private refreshAgain = false;
  private readonly identity: EventSourceIdentity;
  private readonly stats = {
    batches: 0,
    recordsSucceeded: 0,
    recordsDeadLettered: 0,
    recordsAgedOut: 0,
    checkpoints: {} as Record<string, string>,
  };

  constructor(private readonly deps: MappingDeps) {
    this.name = `${deps.fn.displayName}←${deps.model.streamName}`;
    this.identity = {
      eventSourceArn: deps.model.eventSourceArn,
      awsRegion: deps.region,
      invokeIdentityArn: deps.fn.roleArn,
    };
  }

  get model(): EventSourceMappingModel {
    return this.deps.model;
  }

  status(): MappingStatus {
    return {
      logicalId: this.deps.model.logicalId,
      uuid: this.deps.model.uuid,
      function: this.deps.fn.displayName,
      stream: this.deps.model.streamName,
      shards: [...this.consumers.keys()],
      batches: this.stats.batches,
      recordsSucceeded: this.stats.recordsSucceeded,
      recordsDeadLettered: this.stats.recordsDeadLettered,
      recordsAgedOut: this.stats.recordsAgedOut,
      checkpoints: { ...this.stats.checkpoints },
    };
  }

  async start(): Promise<void> {
    const { model, kinesis } = this.deps;
    for (const setting of model.unsupported) {
      this.notice('warn', `${setting} is not applied by the local runtime`);
    }
    const summary = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: model.streamName }),
    );
    this.streamCreatedAt = summary.StreamDescriptionSummary?.StreamCreationTimestamp;
    if (model.consumer) {
      const streamArn = summary.StreamDescriptionSummary?.StreamARN ?? model.streamArn;
      this.consumerArn = await ensureStreamConsumer(kinesis, streamArn, model.consumer.name, {
        signal: this.stopping.signal,
      });
      const { transport, pollIntervalMs } = this.efo();
      this.notice(
        'info',
        `enhanced fan-out consumer ${model.consumer.name}: ${
          transport === 'subscribe'
            ? 'SubscribeToShard (kinesis-local pushes once a second)'
            : `read by GetRecords every ${pollIntervalMs} ms when idle, for enhanced fan-out's push latency`
        }`,
      );
    }
    await this.refreshShards();
    this.armRefresh();
  }

  /** The next look for new shards, one refresh interval after the last one ended. */
  private armRefresh(): void {
    if (this.stopping.signal.aborted) return;
    this.refreshTimer = this.deps.clock.after(this.deps.options.shardRefreshMs, async () => {
      await this.refreshTask().catch((error) =>
        this.notice('warn', `listing shards failed: ${errorMessage(error)}`),
      );
      this.armRefresh();
    });
  }

  /**
   * Stops reading and invoking; an invocation in flight may finish and be
   * checkpointed within `graceMs`. Resolves when every shard consumer ended,
   * or when the grace period is over (the rest end once the Lambda host
   * stops, see `closed`).
   */
  async stop(graceMs: number): Promise<void> {
    this.refreshTimer?.cancel();
    this.stopping.abort();
    const all = Promise.allSettled([...this.consumers.values(), this.refreshing]);
    // Real time: the grace bounds a wait on invocations, which run in real time.
    const graceOver = new AbortController();
    await Promise.race([all, sleep(graceMs, graceOver.signal).catch(() => {})]);
    graceOver.abort();
    this.killed.abort();
  }

  /** Resolves when every shard consumer has ended. */
  async closed(): Promise<void> {
    await Promise.allSettled([...this.consumers.values()]);
  }

  /** Looks for new shards, one look at a time (asked during one, it looks once more after it). */
  private refreshShards(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        await this.discoverShards();
      } while (this.refreshAgain && !this.stopping.signal.aborted);
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /**
   * A look for new shards as a task of the clock's: it never waits on a look
   * already under way (that one looks again instead). A driven clock's
   * advance waits for a task until it sleeps or ends, so a task waiting on
   * another's look, which may be asleep in a retry, would hold it forever.
   */
  private refreshTask(): Promise<void> {
    if (!this.refreshing) return this.refreshShards();
    this.refreshAgain = true;
    return Promise.resolve();
  }

  /** A look for new shards now, as a task of its own: for a consumer that must not wait for it. */
  private refreshSoon(): void {
    this.deps.clock.at(this.deps.clock.now(), () => this.refreshTask().catch(() => {}));
  }

  private async discoverShards(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    await this.checkStream();
    const shards = await listShards(this.deps.kinesis, this.deps.model.streamName);
    const checkpoints = await this.deps.checkpoints.load(
      this.deps.model.uuid,
      this.streamCreatedAt,
    );
    const present = new Set(shards.map((shard) => shard.ShardId));
    for (const shard of shards) {
      const shardId = shard.ShardId;
      if (!shardId || this.consumers.has(shardId) || this.finishedShards.has(shardId)) continue;
      const checkpoint = checkpoints.get(shardId);
      if (checkpoint?.kind === 'finished') {
        this.finishedShards.add(shardId);
        continue;
      }
      // After a reshard, a child shard waits until its parents are read to the end, as on Lambda.
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(
        (parent): parent is string => parent !== undefined && present.has(parent),
      );
      if (parents.some((parent) => !this.finishedShards.has(parent))) continue;
      // Fixed before start() resolves: records put after that are read, even from LATEST.
      const start = await this.startingPoint(
        shardId,
        checkpoint,
        parents.map((parent) => checkpoints.get(parent)),
      );
      if (this.stopping.signal.aborted) return;
      this.consumers.set(
        shardId,
        this.onClock(() => this.runShard(shardId, start)),
      );
    }
  }

  /**
   * Runs a shard's consumer as a task of the runtime's clock (so a driven
   * clock runs its polls, windows and retries as it advances). Resolves when
   * it ends, or at stop when it never started.
   */
  private onClock(work: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      let started = false;
      const timer = this.deps.clock.at(this.deps.clock.now(), () => {
        started = true;
        return work().finally(resolve);
      });
      this.stopping.signal.addEventListener(
        'abort',
        () => {
          if (started) return;
          timer.cancel();
          resolve();
        },
        { once: true },
      );
    });
  }

  /**
   * A stream deleted while the runtime runs is created again, as the
   * template says; a stream that is not the one the shards were read from
   * (deleted and re-created) is read anew from the mapping's starting
   * position: its shards are new, whatever their names.
   */
  private async checkStream(): Promise<void> {
    const { model, kinesis } = this.deps;
    const describe = () =>
      kinesis.send(new DescribeStreamSummaryCommand({ StreamName: model.streamName }));
    let summary: Awaited<ReturnType<typeof describe>>;
    try {
      summary = await describe();
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      this.notice(
        'warn',
        `stream ${model.streamName} is gone: creating it again as the template says`,
      );
      await this.deps.ensureStream();
      summary = await describe();
    }
    const createdAt = summary.StreamDescriptionSummary?.StreamCreationTimestamp;
    if (
      createdAt &&
      this.streamCreatedAt &&
      createdAt.getTime() !== this.streamCreatedAt.getTime()
    ) {
      this.notice(
        'warn',
        `stream ${model.streamName} was re-created: reading its new shards from ${model.startingPosition}`,
      );
      this.generation.abort();
      this.generation = new AbortController();
      this.consumers.clear();
      this.finishedShards.clear();
      this.unavailableShards.clear();
      if (model.consumer) {
        const streamArn = summary.StreamDescriptionSummary?.StreamARN ?? model.streamArn;
        this.consumerArn = await ensureStreamConsumer(kinesis, streamArn, model.consumer.name, {
          signal: this.stopping.signal,
        });
      }
    }
    this.streamCreatedAt = createdAt ?? this.streamCreatedAt;
  }

  /** Runs one shard's consumer; after an unexpected failure, starts it again from its checkpoint. */
  private async runShard(shardId: string, initial: StartingPoint): Promise<void> {
    let start = initial;
    const generation = this.generation;
    const signal = AbortSignal.any([this.stopping.signal, generation.signal]);
    for (;;) {
      try {
        await this.consumeShard(shardId, start, signal);
        if (generation !== this.generation) return;
        this.finishedShards.add(shardId);
        this.consumers.delete(shardId);
        // Its children start now (as tasks of their own), not at the next refresh.
        this.refreshSoon();
        return;
      } catch (error) {
        if (error instanceof StoppedError || signal.aborted) return;
        this.notice('error', `${shardId}: ${errorMessage(error)}; restarting from the checkpoint`);
        try {
          await sleep(this.deps.options.backoff.maxDelayMs ?? 10_000, signal, this.deps.clock);
          const checkpoint = (
            await retryUntilDone(
              () => this.deps.checkpoints.load(this.deps.model.uuid, this.streamCreatedAt),
              { signal, backoff: this.deps.options.backoff, clock: this.deps.clock },
            )
          ).get(shardId);
          start = await this.startingPoint(shardId, checkpoint);
        } catch {
          return;
        }
      }
    }
  }

  private async consumeShard(
    shardId: string,
    start: StartingPoint,
    signal: AbortSignal,
  ): Promise<void> {
    const { model, options } = this.deps;
    const source = this.createSource(shardId, start);
    const consumer = new ShardConsumer({
      shardId,
      source,
      settings: {
        batchSize: model.batchSize,
        windowMs: model.maximumBatchingWindowSeconds * 1000,
        parallelizationFactor: model.parallelizationFactor,
        maxPayloadBytes: MAX_PAYLOAD_BYTES,
        maxBufferedRecords: Math.max(
          options.maxBufferedRecords ?? 10_000,
          model.batchSize * model.parallelizationFactor,
        ),
      },
      sizeOf: (record) => this.sizeOf(record),
      envelopeBytes: eventEnvelopeBytes(),
      processLane: (records, laneCheckpoint) =>
        processLane(
          records,
          {
            maximumRetryAttempts: model.maximumRetryAttempts,
            maximumRecordAgeSeconds: model.maximumRecordAgeSeconds,
            retentionMs: this.deps.retentionMs,
            bisectBatchOnFunctionError: model.bisectBatchOnFunctionError,
            reportBatchItemFailures: model.reportBatchItemFailures,
            backoff: options.backoff,
          },
          {
            invoke: (batch, attempt) => this.invoke(shardId, batch, attempt),
            ...(laneCheckpoint ? { checkpoint: laneCheckpoint } : {}),
            giveUp: (batch, why) => this.giveUp(shardId, batch, why),
            signal,
            clock: this.deps.clock,
          },
        ),
      checkpoint: (record) =>
        this.saveCheckpoint(shardId, {
          kind: 'sequence',
          sequenceNumber: record.sequenceNumber,
          arrivedAt: record.approximateArrivalTimestamp,
        }),
      finished: () => this.saveCheckpoint(shardId, { kind: 'finished' }),
      signal,
      clock: this.deps.clock,
    });
    try {
      await consumer.run();
    } finally {
      source.close?.();
    }
  }

  /**
   * Where a shard without a checkpoint starts. A LATEST start is written down
   * as the time it happened, so records that arrive while the runtime is
   * stopped before the first checkpoint are still read after a restart.
   *
   * A child shard whose parents this mapping read is read from its start,
   * whatever the mapping's starting position (as the KCL does): its records
   * all came after the parents' ones. Had the mapping seen no record of the
   * parents, it reads the child from the parents' LATEST start instead.
   */
  private async startingPoint(
    shardId: string,
    checkpoint: Checkpoint | undefined,
    parents: ReadonlyArray<Checkpoint | undefined> = [],
  ): Promise<StartingPoint> {
    if (checkpoint?.kind === 'sequence') {
      return {
        type: 'AFTER_SEQUENCE_NUMBER',
        sequenceNumber: checkpoint.sequenceNumber,
        arrivedAt: checkpoint.arrivedAt,
      };
    }
    if (checkpoint?.kind === 'timestamp')
      return { type: 'AT_TIMESTAMP', timestamp: checkpoint.timestamp };
    const finishedParents = parents.filter((parent) => parent?.kind === 'finished');
    if (finishedParents.some((parent) => parent.readRecords)) return { type: 'TRIM_HORIZON' };
    const parentStarts = finishedParents.flatMap((parent) =>
      parent.startedAt ? [parent.startedAt.getTime()] : [],
    );
    if (parentStarts.length > 0) {
      return { type: 'AT_TIMESTAMP', timestamp: new Date(Math.min(...parentStarts)) };
    }
    const { model } = this.deps;
    switch (model.startingPosition) {
      case 'TRIM_HORIZON':
        return { type: 'TRIM_HORIZON' };
      case 'AT_TIMESTAMP':
        return { type: 'AT_TIMESTAMP', timestamp: model.startingPositionTimestamp ?? new Date(0) };
      case 'LATEST': {
        // A position in the stream: in the stream's own time.
        const timestamp = new Date((this.deps.streamClock ?? systemClock)());
        await this.saveCheckpoint(shardId, { kind: 'timestamp', timestamp });
        return { type: 'AT_TIMESTAMP', timestamp };
      }
    }
  }

  /** Polled (standard), polled without the idle second, or subscribed (enhanced fan-out). */
  private createSource(shardId: string, start: StartingPoint): ShardRecordSource {
    const { model, options, kinesis } = this.deps;
    const reporter = {
      // One notice per outage for the mapping, not one per shard.
      unavailable: (message: string) => {
        if (this.unavailableShards.size === 0) this.notice('warn', message);
        this.unavailableShards.add(shardId);
        // The stream may be gone or new: look now rather than at the next refresh.
        if (this.deps.clock.now() - this.lastOutageRefresh > 2_000) {
          this.lastOutageRefresh = this.deps.clock.now();
          this.refreshSoon();
        }
      },
      recovered: () => {
        this.unavailableShards.delete(shardId);
        if (this.unavailableShards.size === 0) this.notice('info', 'Kinesis is reachable again');
      },
      warn: (message: string) => this.notice('warn', message),
    };
    const efo = this.consumerArn === undefined ? undefined : this.efo();
    if (efo?.transport === 'subscribe' && this.consumerArn !== undefined) {
      return new SubscriptionShardReader(kinesis, {
        consumerArn: this.consumerArn,
        streamName: model.streamName,
        shardId,
        start,
        backoff: options.backoff,
        reporter,
        clock: this.deps.clock,
      });
    }
    return new PollingShardReader(kinesis, {
      streamName: model.streamName,
      shardId,
      start,
      limit: 10_000,
      pollIntervalMs: efo ? efo.pollIntervalMs : options.pollIntervalMs,
      backoff: options.backoff,
      reporter,
      clock: this.deps.clock,
    });
  }

  private efo(): EnhancedFanOutOptions {
    return this.deps.options.enhancedFanOut ?? { transport: 'poll', pollIntervalMs: 20 };
  }

  private async invoke(
    shardId: string,
    records: readonly ShardRecord[],
    attempt: number,
  ): Promise<InvokeOutcome> {
    if (this.stopping.signal.aborted) throw new StoppedError();
    const started = performance.now();
    let outcome: InvokeOutcome;
    try {
      outcome = {
        ok: true,
        response: await this.deps.invoke(toKinesisEvent(records, this.identity)),
      };
    } catch (error) {
      // A failure caused by the shutdown (Workers ended) is not the function's: retry next start.
      if (error instanceof StoppedError || this.stopping.signal.aborted) throw new StoppedError();
      const { name, message } =
        error instanceof Error ? error : { name: 'Error', message: String(error) };
      outcome = { ok: false, error: { name, message } };
    }
    const failedAt =
      outcome.ok && this.deps.model.reportBatchItemFailures
        ? lowestFailedIndex(outcome.response, records)
        : 'none';
    this.stats.batches++;
    if (outcome.ok) {
      this.stats.recordsSucceeded +=
        typeof failedAt === 'number' ? failedAt : failedAt === 'none' ? records.length : 0;
    }
    this.deps.events.emit('batch', {
      mapping: this.name,
      function: this.deps.fn.displayName,
      shardId,
      size: records.length,
      firstSequenceNumber: records[0]?.sequenceNumber ?? '',
      lastSequenceNumber: records.at(-1)?.sequenceNumber ?? '',
      attempt,
      outcome:
        !outcome.ok || failedAt === 'invalid'
          ? 'error'
          : failedAt === 'none'
            ? 'success'
            : 'partial-failure',
      durationMs: performance.now() - started,
    });
    return outcome;
  }

  private async giveUp(
    shardId: string,
    records: readonly ShardRecord[],
    why: GivenUp,
  ): Promise<void> {
    const { model, fn } = this.deps;
    const destination = model.onFailureDestination;
    if (destination) {
      await retryUntilDone(
        () =>
          this.deps.deadLetters.write(
            {
              mappingId: model.uuid,
              functionName: fn.functionName,
              functionArn: fn.arn,
              streamArn: model.streamArn,
              destinationArn: destination,
              identity: this.identity,
            },
            records,
            why,
          ),
        {
          signal: this.killed.signal,
          backoff: this.deps.options.backoff,
          clock: this.deps.clock,
          onRetry: (error, attempt) => {
            if (attempt === 1)
              this.notice('warn', `writing a dead letter failed: ${errorMessage(error)}; retrying`);
          },
        },
      );
    }
    this.stats.recordsDeadLettered += records.length;
    if (why.condition === 'RecordAgeExceeded') this.stats.recordsAgedOut += records.length;
    this.notice(
      'warn',
      `${shardId}: gave up on ${records.length} record(s) (${why.condition}) → ${destination ? DEAD_LETTER_TABLE : 'discarded (no OnFailure destination)'}`,
    );
    this.deps.events.emit('deadLetter', {
      mapping: this.name,
      function: fn.displayName,
      shardId,
      size: records.length,
      condition: why.condition,
      destination: destination ? DEAD_LETTER_TABLE : undefined,
    });
  }

  private async saveCheckpoint(shardId: string, checkpoint: Checkpoint): Promise<void> {
    const { model } = this.deps;
    await retryUntilDone(
      () =>
        this.deps.checkpoints.save(
          {
            mappingId: model.uuid,
            shardId,
            streamArn: model.streamArn,
            streamCreatedAt: this.streamCreatedAt,
          },
          checkpoint,
        ),
      {
        signal: this.killed.signal,
        backoff: this.deps.options.backoff,
        clock: this.deps.clock,
        onRetry: (error, attempt) => {
          if (attempt === 1)
            this.notice('warn', `saving the checkpoint failed: ${errorMessage(error)}; retrying`);
        },
      },
    );
    if (checkpoint.kind === 'sequence') this.stats.checkpoints[shardId] = checkpoint.sequenceNumber;
  }

  private sizeOf(record: ShardRecord): number {
    let size = this.sizes.get(record);
    if (size === undefined) {
      size = eventRecordBytes(record, this.identity);
      this.sizes.set(record, size);
    }
    return size;
  }

  private notice(level: 'info' | 'warn' | 'error', message: string): void {
    this.deps.events.notice(level, this.name, message);
  }
}
