import { describe, expect, it } from 'vitest';
import type { CompareReport, ConsumerReport } from '../../lambdas/shared/compare-report.ts';
import {
  formatMs,
  formatPrice,
  MAX_MINUTE_ROWS,
  renderReport,
} from '../../scripts/report/render.ts';

const since = Date.parse('2026-05-01T10:00:00Z');
const realtime: ConsumerReport = {
  records: 3600,
  throughputPerMinute: 30,
  lastWriteAt: '2026-05-01T11:59:59.500Z',
  freshnessSeconds: 0.5,
  latencyMs: { avg: 712.25, min: 101.5, max: 123_456.789, p50: 650, p95: 1500, p99: 99_999.9 },
  latencyPartsMs: {
    fetchedToIngested: { avg: 50, p50: 48, p95: 90 },
    ingestedToReceived: { avg: 650, p50: 600, p95: 1400 },
    receivedToProcessed: { avg: 4, p50: 3.5, p95: 9 },
  },
  latest: [
    {
      eventId: `coinbase:BTC-USD:${'9'.repeat(40)}`,
      symbol: 'BTC-USD',
      price: 123_456.78,
      fetchedAt: '2026-05-01T11:59:58.800Z',
      processedAt: '2026-05-01T11:59:59.500Z',
      latencyMs: 700,
    },
  ],
};
const empty: ConsumerReport = {
  records: 0,
  throughputPerMinute: null,
  lastWriteAt: null,
  freshnessSeconds: null,
  latencyMs: null,
  latencyPartsMs: null,
  latest: [],
};

/** Two hours, a batch consumer that wrote nothing, wide prices and long ids: the worst case for width. */
const report: CompareReport = {
  version: 2,
  generatedAt: '2026-05-01T12:00:00.000Z',
  window: {
    since: new Date(since).toISOString(),
    until: '2026-05-01T12:00:00.000Z',
    seconds: 7200,
    fitted: false,
  },
  percentiles: 'percentile_cont',
  consumers: { realtime, batch: empty },
  perSymbol: [
    {
      symbol: 'BTC-USD',
      realtime: { records: 1200, avgPrice: 123_456.78, minPrice: 100_000.01, maxPrice: 199_999.99 },
      batch: null,
    },
    {
      symbol: 'SHIB-USD',
      realtime: { records: 1200, avgPrice: 0.000012345, minPrice: 0.00001, maxPrice: 0.00002 },
      batch: null,
    },
  ],
  perMinute: Array.from({ length: 120 }, (_, i) => ({
    minute: new Date(since + i * 60_000).toISOString(),
    realtime: 30,
    batch: 0,
  })),
  completeness: {
    events: 3600,
    missingFrom: {
      realtime: { count: 0, inFlight: 0, inFlightSeconds: 3, examples: [] },
      batch: {
        count: 3600,
        inFlight: 15,
        inFlightSeconds: 18,
        examples: [1, 2, 3, 4, 5].map((i) => `coinbase:BTC-USD:${'0'.repeat(20)}${i}`),
      },
    },
    duplicateRows: { realtime: 0, batch: 0 },
  },
};

describe('renderReport', () => {
  const text = renderReport(report);
  const lines = text.split('\n');

  it('keeps every line within 100 columns', () => {
    const wide = lines.filter((line) => line.length > 100);
    expect(wide).toEqual([]);
  });

  it('states the window in UTC and the percentile function', () => {
    expect(lines[0]).toBe(
      'pricestream compare: silver.prices, 2026-05-01 10:00:00 → 12:00:00 UTC (2 h)',
    );
    expect(text).toContain('percentile_cont');
  });

  it('gives throughput while fetching, - when there is none', () => {
    expect(text).toMatch(/^ {2}throughput, records\/min while fetching +30\.0 +-$/m);
  });

  it('notes a consumer without rows and shows its figures as -', () => {
    expect(text).toContain('Note: no batch rows in this window. Is the batch consumer running?');
    expect(text).toMatch(/^ {2}batch +0 +- +- +- +- +- +-$/m);
    expect(text).toMatch(/^ {2}latency p50, ms +650\.0 +-$/m);
  });

  it('shows the last 30 minutes and says where the rest is', () => {
    expect(text).toContain('last 30 of 120 minutes, --json has all');
    const minuteRows = lines.filter((line) => /^ {2}\d\d:\d\d +\d+ +\d+$/.test(line));
    expect(minuteRows).toHaveLength(MAX_MINUTE_ROWS);
    expect(minuteRows[0]).toMatch(/^ {2}11:30 /);
    expect(minuteRows.at(-1)).toMatch(/^ {2}11:59 /);
  });

  it('tells events in flight from missing ones, in the section and the summary, and lists examples', () => {
    expect(text).toContain('  missing from batch: 3,600\n');
    expect(text).toContain(
      '  in flight to batch: 15 (reached Kinesis < 18 s ago: within its window and poll)',
    );
    expect(text).toMatch(/^ {2}events missing +0 +3,600$/m);
    expect(text).toMatch(/^ {2}events in flight +0 +15$/m);
    const id = (i: number) => `coinbase:BTC-USD:${'0'.repeat(20)}${i}`;
    expect(text).toContain(
      `    e.g. ${id(1)}, ${id(2)},\n         ${id(3)}, ${id(4)},\n         ${id(5)}\n`,
    );
  });

  it('shortens long event ids', () => {
    expect(text).toContain(`coinbase:BTC-USD:${'9'.repeat(18)}…`);
  });
});

describe('number formats', () => {
  it.each([
    [86_746.07, '86,746.07'],
    [137.4, '137.40'],
    [0.4182, '0.4182'],
    [0.15, '0.1500'],
    [0.000012344, '0.00001234'],
    [null, '-'],
  ])('price %s is %s', (price, text) => {
    expect(formatPrice(price)).toBe(text);
  });

  it('gives milliseconds one decimal with thousands separators', () => {
    expect(formatMs(13_575.66)).toBe('13,575.7');
    expect(formatMs(null)).toBe('-');
  });
});
