import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FetchConfig } from '../../lambdas/fetch-prices/config.ts';
import { createHandler as createFetchHandler } from '../../lambdas/fetch-prices/handler.ts';
import { createHandler as createRollupHandler } from '../../lambdas/rollup/index.ts';
import {
  createConsumerMetrics,
  createMetrics,
  fetchOutcomes,
  METRIC,
  publishConsumerMetrics,
  publishRollupMetrics,
} from '../../lambdas/shared/metrics.ts';
import type { PriceEvent } from '../../lambdas/shared/price-event.ts';
import { SourceError } from '../../lambdas/shared/sources/quote.ts';
import { SimulatedMarket } from '../../lambdas/shared/sources/sim.ts';
import type { TickSummary } from '../../lambdas/shared/tick.ts';
import { parseEmfLine } from '../../local/dashboard/emf.ts';
import { captureStdout, emfDocuments, metricNames } from '../support/emf-output.ts';

beforeEach(() => {
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'PricestreamTest');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('consumer metrics', () => {
  it('publishes one EMF document with the counts and every latency, dimensions service and consumer', async () => {
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'realtime-consumer');
    const metrics = createConsumerMetrics('realtime');

    const { lines } = await captureStdout(async () =>
      publishConsumerMetrics(metrics, {
        written: 3,
        duplicates: 1,
        rejected: 2,
        failed: 0,
        latenciesMs: [612.5, 701.25, 655],
      }),
    );

    const docs = emfDocuments(lines);
    expect(docs).toHaveLength(1);
    const doc = docs[0];
    const directive = doc?._aws.CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe('PricestreamTest');
    expect(directive?.Dimensions).toEqual([['service', 'consumer']]);
    expect(directive?.Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'EndToEndLatency', Unit: 'Milliseconds' },
        { Name: 'RecordsWritten', Unit: 'Count' },
        { Name: 'RecordsRejected', Unit: 'Count' },
        { Name: 'DuplicatesSkipped', Unit: 'Count' },
        { Name: 'RecordsFailed', Unit: 'Count' },
      ]),
    );
    expect(doc).toMatchObject({
      service: 'realtime-consumer',
      consumer: 'realtime',
      RecordsWritten: 3,
      DuplicatesSkipped: 1,
      RecordsRejected: 2,
      RecordsFailed: 0,
      EndToEndLatency: [612.5, 701.25, 655],
    });
  });

  it('keeps the consumer dimension on every document when more than 100 latencies split it', async () => {
    const metrics = createMetrics('batch-consumer', { consumer: 'batch' });
    const latencies = Array.from({ length: 250 }, (_, i) => 10_000 + i);

    const { lines } = await captureStdout(async () =>
      publishConsumerMetrics(metrics, {
        written: 250,
        duplicates: 0,
        rejected: 0,
        failed: 0,
        latenciesMs: latencies,
      }),
    );

    // EMF takes at most 100 values per metric and document; Powertools flushes at 100.
    const docs = emfDocuments(lines);
    expect(docs.length).toBe(3);
    const values = docs.flatMap((d) => [d.EndToEndLatency].flat());
    expect(values).toEqual(latencies);
    for (const doc of docs) {
      expect(doc).toMatchObject({ service: 'batch-consumer', consumer: 'batch' });
      expect(doc._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'consumer']]);
    }
  });

  it('publishes zero counts (a quiet invocation reads 0, not "no data") and skips non-finite latencies', async () => {
    const metrics = createMetrics('batch-consumer', { consumer: 'batch' });

    const { lines } = await captureStdout(async () =>
      publishConsumerMetrics(metrics, {
        written: 0,
        duplicates: 0,
        rejected: 0,
        failed: 5,
        latenciesMs: [Number.NaN],
      }),
    );

    const [doc] = emfDocuments(lines);
    expect(doc).toMatchObject({ RecordsWritten: 0, RecordsFailed: 5 });
    expect(metricNames(doc as never)).not.toContain(METRIC.endToEndLatency);
  });

  it('writes documents the local dashboard reads back point for point', async () => {
    const metrics = createMetrics('realtime-consumer', { consumer: 'realtime' });

    const { lines } = await captureStdout(async () =>
      publishConsumerMetrics(metrics, {
        written: 2,
        duplicates: 0,
        rejected: 0,
        failed: 0,
        latenciesMs: [100, 200],
      }),
    );

    const parsed = parseEmfLine(lines.find((l) => l.includes('_aws')) ?? '');
    expect(parsed.kind).toBe('emf');
    if (parsed.kind !== 'emf') return;
    const latency = parsed.points.filter((p) => p.metric === 'EndToEndLatency');
    expect(latency.map((p) => p.value)).toEqual([100, 200]);
    expect(latency[0]).toMatchObject({
      namespace: 'PricestreamTest',
      unit: 'Milliseconds',
      dimensions: { service: 'realtime-consumer', consumer: 'realtime' },
    });
  });
});

describe('fetch-prices metrics', () => {
  const symbols = ['BTC-USD', 'ETH-USD', 'SOL-USD'];
  const config: FetchConfig = {
    streamName: 'unused',
    symbols,
    source: 'sim',
    coinbaseBaseUrl: 'http://127.0.0.1:9',
    coinbaseTimeoutMs: 100,
    pollIntervalSeconds: 1,
    schedulePeriodSeconds: 2,
    simSeed: 42,
  };
  const scheduled = (time: Date) => ({ time: time.toISOString() }) as ScheduledEvent;

  it('counts successes and failures per symbol over the ticks', () => {
    const tick = (skipped: string[], failed: string[]): TickSummary => ({
      tickTime: '',
      source: 'sim',
      symbols: 3,
      sent: 3 - skipped.length - failed.length,
      skipped: skipped.map((symbol) => ({ symbol, reason: 'timeout' })),
      failed: failed.map((symbol) => ({ symbol, errorCode: 'ProvisionedThroughputExceeded' })),
    });

    const outcomes = fetchOutcomes(symbols, [tick([], []), tick(['ETH-USD'], ['SOL-USD'])]);

    expect(Object.fromEntries(outcomes)).toEqual({
      'BTC-USD': { success: 2, failure: 0 },
      'ETH-USD': { success: 1, failure: 1 },
      'SOL-USD': { success: 1, failure: 1 },
    });
  });

  it('publishes one document per symbol at the end of the invocation', async () => {
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'fetch-prices');
    const market = new SimulatedMarket(42);
    // ETH-USD cannot be priced; SOL-USD cannot be put on the stream.
    const source = {
      name: 'sim' as const,
      fetch: async (wanted: string[], at: Date) =>
        (await market.fetch(wanted, at)).map((r) =>
          r.ok && r.quote.symbol === 'ETH-USD'
            ? { ok: false as const, error: new SourceError('ETH-USD', 'timeout', 'slow') }
            : r,
        ),
    };
    const publish = async (events: PriceEvent[]) => ({
      sent: events.filter((e) => e.symbol !== 'SOL-USD').length,
      failed: events
        .filter((e) => e.symbol === 'SOL-USD')
        .map((event) => ({ event, errorCode: 'InternalFailure' })),
      attempts: 1,
    });
    const handler = createFetchHandler(config, {
      source,
      publish,
      metrics: createMetrics('fetch-prices'),
    });

    const { result, lines } = await captureStdout(() =>
      handler(scheduled(new Date()), { getRemainingTimeInMillis: () => 15_000 }),
    );

    const all = emfDocuments(lines);
    const docs = all.slice(0, -1);
    const totals = all.at(-1);
    expect(docs.map((d) => d.symbol)).toEqual(symbols);
    const ticks = result.ticks;
    expect(ticks).toBeGreaterThan(0);
    for (const doc of docs) {
      expect(doc._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'symbol']]);
      expect(doc.service).toBe('fetch-prices');
      expect(metricNames(doc)).toEqual(['FetchFailure', 'FetchSuccess']);
    }
    const by = Object.fromEntries(docs.map((d) => [d.symbol, [d.FetchSuccess, d.FetchFailure]]));
    expect(by).toEqual({
      'BTC-USD': [ticks, 0],
      'ETH-USD': [0, ticks],
      'SOL-USD': [0, ticks],
    });
    // One more document without a symbol: what the failure-ratio alarm divides.
    expect(totals?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    expect(totals).toMatchObject({ FetchesAttempted: 3 * ticks, FetchesFailed: 2 * ticks });
    expect(totals).not.toHaveProperty('symbol');
  });

  it('still publishes for the ticks that ran when a tick throws', async () => {
    const handler = createFetchHandler(config, {
      source: new SimulatedMarket(1),
      publish: async () => {
        throw new Error('stream gone');
      },
      metrics: createMetrics('fetch-prices'),
    });

    const { lines } = await captureStdout(async () => {
      await expect(
        handler(scheduled(new Date()), { getRemainingTimeInMillis: () => 15_000 }),
      ).rejects.toThrow('stream gone');
    });

    // No tick finished: every symbol reports zero of each, so the metric exists.
    const docs = emfDocuments(lines);
    expect(docs).toHaveLength(4);
    for (const doc of docs.slice(0, 3)) {
      expect(doc).toMatchObject({ FetchSuccess: 0, FetchFailure: 0 });
    }
    expect(docs[3]).toMatchObject({ FetchesAttempted: 0, FetchesFailed: 0 });
  });
});

describe('rollup metrics', () => {
  const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

  it('publishes buckets and duration per granularity', async () => {
    const metrics = createMetrics('rollup');

    const { lines } = await captureStdout(async () =>
      publishRollupMetrics(metrics, '10m', { buckets: 12, durationMs: 85 }),
    );

    const [doc] = emfDocuments(lines);
    expect(doc?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'granularity']]);
    expect(doc).toMatchObject({
      service: 'rollup',
      granularity: '10m',
      RollupBuckets: 12,
      RollupDuration: 85,
      RollupFailures: 0,
    });
  });

  it('counts a rollup that could not run as a failure, from a handler run', async () => {
    const handler = createRollupHandler(
      { sourceConsumer: 'realtime' },
      {
        db: async () => {
          throw new Error('unused');
        },
        metrics: createMetrics('rollup'),
      },
    );

    const { lines } = await captureStdout(async () => {
      await expect(handler({ granularity: '5m' }, context)).rejects.toThrow(/granularity/);
    });

    const [doc] = emfDocuments(lines);
    expect(doc).toMatchObject({ service: 'rollup', RollupFailures: 1 });
    expect(metricNames(doc as never)).toEqual(['RollupFailures']);
  });

  it('counts a failed run under its granularity', async () => {
    const handler = createRollupHandler(
      { sourceConsumer: 'realtime' },
      {
        db: async () => {
          throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        },
        metrics: createMetrics('rollup'),
      },
    );

    const { lines } = await captureStdout(async () => {
      await expect(handler({ granularity: '1h' }, context)).rejects.toThrow(/ECONNREFUSED/);
    });

    const [doc] = emfDocuments(lines);
    expect(doc).toMatchObject({ granularity: '1h', RollupFailures: 1 });
  });
});
