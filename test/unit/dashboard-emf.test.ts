import { describe, expect, it } from 'vitest';
import { MetricsCollector } from '../../local/dashboard/collector.ts';
import { parseEmfLine } from '../../local/dashboard/emf.ts';
import type { Queryable } from '../../local/dashboard/metric-store.ts';
import { createDrivenClock } from '../../local/shared/driven-clock.ts';

const doc = (overrides: Record<string, unknown> = {}, aws: Record<string, unknown> = {}) =>
  JSON.stringify({
    _aws: {
      Timestamp: Date.parse('2026-11-25T17:00:00Z'),
      CloudWatchMetrics: [
        {
          Namespace: 'Pricestream',
          Dimensions: [['service', 'consumer']],
          Metrics: [
            { Name: 'RecordsWritten', Unit: 'Count' },
            { Name: 'EndToEndLatency', Unit: 'Milliseconds' },
          ],
        },
      ],
      ...aws,
    },
    service: 'batch-consumer',
    consumer: 'batch',
    RecordsWritten: 2,
    EndToEndLatency: [10_500.25, 11_020],
    ...overrides,
  });

describe('EMF lines', () => {
  it('reads every value of every metric with its dimensions and time', () => {
    const parsed = parseEmfLine(doc());

    expect(parsed).toEqual({
      kind: 'emf',
      warnings: [],
      points: [
        {
          time: new Date('2026-11-25T17:00:00Z'),
          namespace: 'Pricestream',
          metric: 'RecordsWritten',
          unit: 'Count',
          value: 2,
          dimensions: { service: 'batch-consumer', consumer: 'batch' },
        },
        expect.objectContaining({ metric: 'EndToEndLatency', value: 10_500.25 }),
        expect.objectContaining({ metric: 'EndToEndLatency', value: 11_020 }),
      ],
    });
  });

  it('ignores ordinary log lines, JSON or not', () => {
    expect(parseEmfLine('START RequestId: abc')).toEqual({ kind: 'not-emf' });
    expect(parseEmfLine('{"level":"INFO","message":"records processed"}')).toEqual({
      kind: 'not-emf',
    });
    expect(parseEmfLine('')).toEqual({ kind: 'not-emf' });
  });

  it.each([
    ['cut-off JSON', `${doc().slice(0, 40)}`, /not valid JSON/],
    [
      'no directives',
      doc({}, { CloudWatchMetrics: [] }),
      /CloudWatchMetrics is not a non-empty array/,
    ],
    ['a bad timestamp', doc({}, { Timestamp: 'yesterday' }), /Timestamp/],
    ['a dimension without value', doc({ consumer: undefined }), /dimension "consumer"/],
    [
      'a directive without namespace',
      doc({}, { CloudWatchMetrics: [{ Dimensions: [], Metrics: [] }] }),
      /Namespace is missing/,
    ],
    ['_aws not an object', '{"_aws": 3}', /_aws is not an object/],
  ])('calls a line with %s malformed, with the reason', (_name, line, reason) => {
    const parsed = parseEmfLine(line);

    expect(parsed.kind).toBe('malformed');
    expect(parsed.kind === 'malformed' && parsed.reason).toMatch(reason);
  });

  it('drops a metric with no value or a non-number, keeping the rest, with a warning', () => {
    const parsed = parseEmfLine(doc({ EndToEndLatency: undefined, RecordsWritten: 'many' }));

    expect(parsed).toEqual({
      kind: 'emf',
      points: [],
      warnings: [
        'metric "RecordsWritten" has a value that is not a finite number',
        'metric "EndToEndLatency" has no value',
      ],
    });
  });
});

describe('metrics collector', () => {
  it('counts documents and describes the last malformed line, without a database', () => {
    const collector = new MetricsCollector();
    const time = new Date('2026-11-25T17:00:05Z');

    collector.listeners.log?.({
      function: 'BatchConsumer',
      functionName: 'Pricestream-BatchConsumer',
      stream: 'stdout',
      line: doc(),
      requestId: 'r1',
      time,
    });
    collector.acceptLine(
      'RealtimeConsumer',
      '{"_aws": {"Timestamp": 1, "CloudWatchMetrics": "x"}}',
      time,
    );
    collector.acceptLine('RealtimeConsumer', 'plain text', time);
    collector.listeners.invocation?.({
      function: 'BatchConsumer',
      functionName: 'Pricestream-BatchConsumer',
      requestId: 'r1',
      coldStart: false,
      initDurationMs: undefined,
      durationMs: 12.5,
      error: undefined,
    });

    expect(collector.stats()).toMatchObject({
      emfDocuments: 1,
      // 3 from the document, 3 runtime measurements (Invocations, Errors, Duration)
      pending: 6,
      malformedLines: 1,
      lastMalformed: {
        function: 'RealtimeConsumer',
        reason: '_aws.CloudWatchMetrics is not a non-empty array',
        time: '2026-11-25T17:00:05.000Z',
      },
      pointsStored: 0,
    });
  });

  it('flushes on its clock, one interval after the last flush ended, and stamps its own points with it', async () => {
    const clock = createDrivenClock('2026-11-25T17:00:00Z');
    const stored: string[][] = [];
    const db = {
      query: async (_sql: string, params: unknown[]) => {
        stored.push((params[1] as string[]).map(String));
        return { rows: [], rowCount: 0 };
      },
    } as unknown as Queryable;
    const collector = new MetricsCollector({ flushIntervalMs: 1_000, clock });
    collector.attach(db, [{ name: 'BatchConsumer', environment: {} }]);

    collector.listeners.deadLetter?.({
      mapping: 'm',
      function: 'BatchConsumer',
      shardId: 'shardId-000000000000',
      size: 3,
      condition: 'RetryAttemptsExhausted',
      destination: 'local_runtime.dead_letters',
    });
    await clock.advanceBy(999);
    const beforeTheInterval = stored.length;
    await clock.advanceBy(1);
    collector.acceptLine('BatchConsumer', doc());
    await clock.advanceBy(1_000);
    await collector.close();

    expect(beforeTheInterval).toBe(0);
    expect(stored).toHaveLength(2);
    expect(collector.stats()).toMatchObject({
      pending: 0,
      pointsStored: 4,
      lastWriteAt: '2026-11-25T17:00:02.000Z',
    });
  });

  it('keeps at most maxPending points while nothing stores them, counting the dropped', () => {
    const collector = new MetricsCollector({ maxPending: 4 });

    collector.acceptLine('BatchConsumer', doc());
    collector.acceptLine('BatchConsumer', doc());

    expect(collector.stats()).toMatchObject({ pending: 4, dropped: 2 });
  });
});
