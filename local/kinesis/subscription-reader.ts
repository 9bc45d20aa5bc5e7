/**
 * A shard read through a registered stream consumer (enhanced fan-out):
 * SubscribeToShard opens an event stream that pushes records as Kinesis has
 * them, for up to 5 minutes; then the reader subscribes again after the last
 * record it received, so nothing is skipped or repeated.
 *
 * The subscription runs in the background and queues what it is pushed;
 * read() hands out the queue without waiting, so a shard consumer that still
 * has records to process is never held up by a quiet stream.
 *
 * kinesis-local answers SubscribeToShard over HTTP/1.1 (a chunked response in
 * the event-stream encoding, which the SDK decodes with the runtime's
 * HTTP/1.1 client; over HTTP/2 it fails), but pushes an event only once a
 * second, so locally this source is no faster than polling. The runtime uses
 * it when asked to (`enhancedFanOut: 'subscribe'`); see event-source-mapping.ts.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  type StartingPosition,
  SubscribeToShardCommand,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import { type TimerClock, timerClockOf } from '../../lambdas/shared/clock.ts';
import {
  Backoff,
  type BackoffOptions,
  errorMessage,
  StoppedError,
  sleep,
} from '../shared/backoff.ts';
import type { ShardRecord } from './kinesis-event.ts';
import {
  confirmPosition,
  positionAfter,
  resumeIfGone,
  type ShardRead,
  type ShardReaderReporter,
  type ShardRecordSource,
  type StartingPoint,
} from './shard-reader.ts';

export interface SubscriptionShardReaderOptions {
  /** The registered consumer's ARN, as Kinesis knows it (see stream-consumers.ts). */
  consumerArn: string;
  streamName: string;
  shardId: string;
  start: StartingPoint;
  /** How often the shard consumer looks at what was pushed, ms. Default 10. */
  checkIntervalMs?: number;
  /**
   * While the subscription pushes nothing, how often to ask whether the
   * shard is closed and read to the end, ms. Default 5,000.
   */
  endCheckIntervalMs?: number;
  /** The subscription pauses while this many records wait to be read. Default 10,000. */
  maxQueuedRecords?: number;
  backoff?: BackoffOptions;
  reporter: ShardReaderReporter;
  /**
   * What the end checks are timed by and the renewal backoff waits on.
   * Default the system clock. The subscription itself runs in the clock's
   * background: kinesis-local pushes in real time (once a second).
   */
  clock?: TimerClock;
}

export class SubscriptionShardReader implements ShardRecordSource {
  readonly idleDelayMs: number;
  /** Subscriptions opened so far (tests, and a sign of the 5-minute renewals). */
  subscriptions = 0;
  private readonly queue: ShardRecord[] = [];
  private shardEnded = false;
  private start: StartingPoint;
  /** The last record received: a new subscription starts after it. */
  private last: ShardRecord | undefined;
  private lastEndCheck = 0;
  private pump: Promise<void> | undefined;
  /** Ends the background subscription (close(), or the consumer's stop). */
  private readonly closed = new AbortController();
  /** The open subscription's own controller: aborting it ends just that subscription. */
  private current: AbortController | undefined;
  private drained: (() => void) | undefined;
  /** Set by endSubscription(): the error that follows is the renewal, not an outage. */
  private renewing = false;
  private readonly clock: TimerClock;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly options: SubscriptionShardReaderOptions,
  ) {
    this.start = options.start;
    this.idleDelayMs = options.checkIntervalMs ?? 10;
    this.clock = timerClockOf(options.clock);
  }

  async read(signal: AbortSignal): Promise<ShardRead> {
    if (signal.aborted || this.closed.signal.aborted) {
      this.close();
      throw new StoppedError();
    }
    if (!this.pump) {
      signal.addEventListener('abort', () => this.close(), { once: true });
      // Never rejects: failures are retried and reported inside. Paced by
      // kinesis-local's pushes, so never waited for by a driven clock.
      this.pump = this.clock.background(() => this.subscribeUntilClosed().catch(() => {}));
    }
    const records = this.queue.splice(0);
    this.drained?.();
    return { records, hasMore: false, shardEnded: this.shardEnded && this.queue.length === 0 };
  }

  /** Ends the subscription; what was queued and not read is read again by the next reader, from the checkpoint. */
  close(): void {
    this.closed.abort();
    this.current?.abort();
    this.drained?.();
  }

  /** Ends the open subscription as its 5 minutes running out would; the reader subscribes again. */
  endSubscription(): void {
    this.renewing = true;
    this.current?.abort();
  }

  private async subscribeUntilClosed(): Promise<void> {
    const backoff = new Backoff(this.options.backoff);
    let failing = false;
    while (!this.closed.signal.aborted && !this.shardEnded) {
      try {
        for await (const event of this.subscribe()) {
          if (failing) {
            failing = false;
            backoff.reset();
            this.options.reporter.recovered();
          }
          this.receive(event);
          if (!this.shardEnded && (await this.readToClosedEnd(event))) {
            this.shardEnded = true;
            break;
          }
          while (this.queue.length >= (this.options.maxQueuedRecords ?? 10_000)) {
            if (this.closed.signal.aborted) return;
            await new Promise<void>((resolve) => {
              this.drained = resolve;
            });
          }
        }
        // The stream ended: the subscription's time is up (5 minutes).
        this.renewing = false;
      } catch (error) {
        if (this.closed.signal.aborted) return;
        if (this.renewing) {
          this.renewing = false;
          continue;
        }
        const resume = resumeIfGone(this.position(), error, this.options, 'subscribing');
        if (resume) {
          this.start = resume;
          this.last = undefined;
          continue;
        }
        if (!failing) {
          failing = true;
          this.options.reporter.unavailable(
            `Kinesis ${this.options.streamName}/${this.options.shardId} (subscription): ${errorMessage(error)}; retrying`,
          );
        }
        await sleep(backoff.nextDelay(), this.closed.signal, this.clock).catch(() => {});
      }
    }
  }

  private receive(event: SubscribeToShardEventStream): void {
    const pushed = event.SubscribeToShardEvent;
    if (!pushed) throw new Error(`unexpected event ${Object.keys(event).join(', ')}`);
    for (const record of pushed.Records ?? []) {
      this.queue.push({
        shardId: this.options.shardId,
        sequenceNumber: record.SequenceNumber ?? '',
        partitionKey: record.PartitionKey ?? '',
        data: record.Data ?? new Uint8Array(),
        approximateArrivalTimestamp: record.ApproximateArrivalTimestamp ?? new Date(),
      });
    }
    this.last = this.queue.at(-1) ?? this.last;
    // The last event of a closed shard names its children and has no continuation.
    if ((pushed.ChildShards?.length ?? 0) > 0 || pushed.ContinuationSequenceNumber === undefined) {
      this.shardEnded = true;
    }
  }

  /** Where a new subscription starts: after the last record received, else the starting point. */
  private position(): StartingPoint {
    return positionAfter(this.last, this.start);
  }

  /**
   * kinesis-local never ends a subscription to a closed shard (it sends a
   * continuation and no child shards), so its children would never be read.
   * While the subscription pushes nothing, look every few seconds: a closed
   * shard with no record after the last one received is done.
   */
  private async readToClosedEnd(event: SubscribeToShardEventStream): Promise<boolean> {
    if ((event.SubscribeToShardEvent?.Records?.length ?? 0) > 0) return false;
    if (this.clock.now() - this.lastEndCheck < (this.options.endCheckIntervalMs ?? 5_000)) {
      return false;
    }
    this.lastEndCheck = this.clock.now();
    const { streamName, shardId } = this.options;
    const listed = await this.kinesis.send(new ListShardsCommand({ StreamName: streamName }));
    const shard = listed.Shards?.find((s) => s.ShardId === shardId);
    if (!shard?.SequenceNumberRange?.EndingSequenceNumber) return false;
    const position = this.position();
    const { ShardIterator } = await this.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shardId,
        ShardIteratorType: position.type,
        ...(position.type === 'AFTER_SEQUENCE_NUMBER'
          ? { StartingSequenceNumber: position.sequenceNumber }
          : {}),
        ...(position.type === 'AT_TIMESTAMP' ? { Timestamp: position.timestamp } : {}),
      }),
    );
    if (!ShardIterator) return true;
    const page = await this.kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 1 }));
    return (page.Records?.length ?? 0) === 0 && !page.NextShardIterator;
  }

  private async *subscribe(): AsyncGenerator<SubscribeToShardEventStream> {
    const position = await confirmPosition(
      this.kinesis,
      this.position(),
      this.options,
      'subscribing',
      this.closed.signal,
    );
    if (position.type !== 'AFTER_SEQUENCE_NUMBER') {
      this.start = position;
      this.last = undefined;
    }
    const startingPosition: StartingPosition = { Type: position.type };
    if (position.type === 'AFTER_SEQUENCE_NUMBER') {
      startingPosition.SequenceNumber = position.sequenceNumber;
    }
    if (position.type === 'AT_TIMESTAMP') startingPosition.Timestamp = position.timestamp;
    const controller = new AbortController();
    this.current = controller;
    try {
      const output = await this.kinesis.send(
        new SubscribeToShardCommand({
          ConsumerARN: this.options.consumerArn,
          ShardId: this.options.shardId,
          StartingPosition: startingPosition,
        }),
        { abortSignal: controller.signal },
      );
      if (!output.EventStream) throw new Error('SubscribeToShard returned no event stream');
      this.subscriptions++;
      yield* output.EventStream;
    } finally {
      // Closes the connection when the loop leaves early (close, an error).
      controller.abort();
    }
  }
}
