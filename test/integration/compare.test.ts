import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CompareReport,
  compareConsumers,
  type ReportSettings,
} from '../../lambdas/shared/compare-report.ts';
import { DEFAULT_SINCE } from '../../lambdas/shared/report-window.ts';
import { baseMinute, insertRows, knownRows, MINUTE, SECOND } from '../support/compare-rows.ts';
import { migratedDatabase } from '../support/migrated-db.ts';

/**
 * The report over silver rows with known timings, inserted directly. The
 * window is [base, base + 5 min) with base a whole minute 10 minutes before
 * the database's now(), so the window filters and minute buckets do not depend
 * on when the test runs.
 */

/** The stack's defaults: realtime in flight for 3 s, batch for 18 s (15 s window + poll + write). */
const SETTINGS: ReportSettings = { batchingWindowSeconds: { realtime: 0, batch: 15 } };

let pool: pg.Pool;
let base: Date;
let report: CompareReport;

beforeAll(async () => {
  ({ pool } = await migratedDatabase('compare'));
  base = await baseMinute(pool);
  await insertRows(pool, base, knownRows());
  report = await compareConsumers(
    pool,
    { since: { at: base }, until: { at: new Date(base.getTime() + 5 * MINUTE) } },
    SETTINGS,
  );
});
afterAll(async () => {
  await pool.end();
});

describe('compare over rows with known timings', () => {
  it('reports the window it used', () => {
    expect(report.window).toEqual({
      since: base.toISOString(),
      until: new Date(base.getTime() + 5 * MINUTE).toISOString(),
      seconds: 300,
      fitted: false,
    });
    expect(report.percentiles).toBe('percentile_cont');
  });

  it('counts only rows with processed_at in [since, until)', () => {
    expect(report.consumers.realtime.records).toBe(10);
    expect(report.consumers.batch.records).toBe(10);
  });

  it('computes end-to-end latency with interpolated percentiles (percentile_cont)', () => {
    // 100, 200, …, 1000 ms: p50 between 500 and 600, p95 at 9.55 of 10, p99 at 9.91.
    expect(report.consumers.realtime.latencyMs).toEqual({
      avg: 550,
      min: 100,
      max: 1000,
      p50: 550,
      p95: 955,
      p99: 991,
    });
    expect(report.consumers.batch.latencyMs).toEqual({
      avg: 5500,
      min: 1000,
      max: 10000,
      p50: 5500,
      p95: 9550,
      p99: 9910,
    });
  });

  it('splits latency into fetched→ingested, ingested→received, received→processed', () => {
    expect(report.consumers.realtime.latencyPartsMs).toEqual({
      fetchedToIngested: { avg: 55, p50: 55, p95: 95.5 },
      ingestedToReceived: { avg: 440, p50: 440, p95: 764 },
      receivedToProcessed: { avg: 55, p50: 55, p95: 95.5 },
    });
    expect(report.consumers.batch.latencyPartsMs).toEqual({
      fetchedToIngested: { avg: 50, p50: 50, p95: 50 },
      ingestedToReceived: { avg: 5400, p50: 5400, p95: 9450 },
      receivedToProcessed: { avg: 50, p50: 50, p95: 50 },
    });
  });

  it('gives throughput over the time the producer was fetching, and the last write', () => {
    // realtime: 10 fetches 19.9 s apart over 179.1 s, each standing for one interval: 10 in 199 s.
    expect(report.consumers.realtime.throughputPerMinute).toBe(3.015);
    // batch: two bursts (rows fetched within a second are one fetch) 59 s apart: 10 in 118 s.
    expect(report.consumers.batch.throughputPerMinute).toBe(5.085);
    expect(report.consumers.realtime.lastWriteAt).toBe(
      new Date(base.getTime() + 200 * SECOND).toISOString(),
    );
    expect(report.consumers.batch.lastWriteAt).toBe(
      new Date(base.getTime() + 210 * SECOND).toISOString(),
    );
  });

  it('measures freshness from the database now() to the last write', () => {
    const generatedAt = Date.parse(report.generatedAt);
    for (const consumer of ['realtime', 'batch'] as const) {
      const c = report.consumers[consumer];
      const expected = (generatedAt - Date.parse(c.lastWriteAt as string)) / 1000;
      expect(c.freshnessSeconds).toBeCloseTo(expected, 2);
    }
    // base is at most 11 minutes before now; realtime wrote last at base + 200 s.
    expect(report.consumers.realtime.freshnessSeconds).toBeGreaterThan(400);
    expect(report.consumers.realtime.freshnessSeconds).toBeLessThan(461);
  });

  it('lists the 5 latest rows per consumer, newest first, with their latency', () => {
    const realtime = report.consumers.realtime.latest;
    expect(realtime.map((r) => [r.eventId, r.latencyMs])).toEqual([
      ['e10', 1000],
      ['e9', 900],
      ['e8', 800],
      ['e7', 700],
      ['e6', 600],
    ]);
    expect(realtime[0]).toMatchObject({
      symbol: 'ETH-USD',
      price: 20,
      processedAt: new Date(base.getTime() + 200 * SECOND).toISOString(),
      fetchedAt: new Date(base.getTime() + 200 * SECOND - 1000).toISOString(),
    });
    // Written in one statement at the same instant: newest insert first.
    expect(report.consumers.batch.latest.map((r) => r.eventId)).toEqual([
      'b2',
      'b1',
      'e8',
      'e7',
      'e6',
    ]);
  });

  it('gives records and average, minimum and maximum price per symbol and consumer', () => {
    expect(report.perSymbol).toEqual([
      {
        symbol: 'BTC-USD',
        realtime: { records: 5, avgPrice: 1005, minPrice: 1001, maxPrice: 1009 },
        batch: { records: 4, avgPrice: 1004, minPrice: 1001, maxPrice: 1007 },
      },
      {
        symbol: 'ETH-USD',
        realtime: { records: 5, avgPrice: 16, minPrice: 12, maxPrice: 20 },
        batch: { records: 4, avgPrice: 15, minPrice: 12, maxPrice: 18 },
      },
      {
        symbol: 'SOL-USD',
        realtime: null,
        batch: { records: 2, avgPrice: 6, minPrice: 5, maxPrice: 7 },
      },
    ]);
  });

  it('counts records per minute, every minute of the window, zero-filled', () => {
    const minute = (n: number) => new Date(base.getTime() + n * MINUTE).toISOString();
    expect(report.perMinute).toEqual([
      { minute: minute(0), realtime: 2, batch: 0 },
      { minute: minute(1), realtime: 3, batch: 0 },
      { minute: minute(2), realtime: 3, batch: 5 },
      { minute: minute(3), realtime: 2, batch: 5 },
      { minute: minute(4), realtime: 0, batch: 0 },
    ]);
  });

  it('finds events one consumer has and the other lacks, not those written after the window', () => {
    expect(report.completeness).toEqual({
      events: 12,
      // e9 reached batch only after the window: late, not missing.
      missingFrom: {
        realtime: { count: 2, inFlight: 0, inFlightSeconds: 3, examples: ['b1', 'b2'] },
        batch: { count: 1, inFlight: 0, inFlightSeconds: 18, examples: ['e10'] },
      },
      duplicateRows: { realtime: 0, batch: 0 },
    });
  });
});

describe('compare near now', () => {
  it('resolves durations against the database clock and tells events in flight from missing ones', async () => {
    const { pool: fresh } = await migratedDatabase('compare_recent');
    try {
      const { rows } = await fresh.query<{ now: Date }>('SELECT now() AS now');
      const now = rows[0]?.now as Date;
      await insertRows(fresh, now, [
        { consumer: 'realtime', eventId: 'old', processedAt: -6 * MINUTE, parts: [1, 1, 1] },
        { consumer: 'realtime', eventId: 'settled', processedAt: -2 * MINUTE, parts: [1, 1, 1] },
        { consumer: 'realtime', eventId: 'fresh', processedAt: -5 * SECOND, parts: [1, 1, 1] },
      ]);

      const recent = await compareConsumers(
        fresh,
        { since: { ago: 5 * MINUTE }, until: { ago: 0 } },
        SETTINGS,
      );

      expect(recent.consumers.realtime.records).toBe(2);
      expect(recent.consumers.batch).toMatchObject({
        records: 0,
        latencyMs: null,
        latencyPartsMs: null,
        lastWriteAt: null,
        freshnessSeconds: null,
        latest: [],
      });
      // 'fresh' reached Kinesis 5 s ago, within batch's 18 s: on its way, not missing.
      expect(recent.completeness.missingFrom.batch).toEqual({
        count: 1,
        inFlight: 1,
        inFlightSeconds: 18,
        examples: ['settled'],
      });
      expect(Date.parse(recent.window.until) - Date.parse(recent.window.since)).toBe(5 * MINUTE);
      expect(Date.parse(recent.window.until)).toBe(Date.parse(recent.generatedAt));
    } finally {
      await fresh.end();
    }
  });
});

describe('compare duplicate count', () => {
  it('reports rows sharing consumer and event_id as the table holds them', async () => {
    // The unique key makes duplicates impossible; drop it here so the query is
    // shown to count them rather than to return a hard-coded 0.
    const { pool: loose } = await migratedDatabase('compare_dups');
    try {
      await loose.query('ALTER TABLE silver.prices DROP CONSTRAINT prices_consumer_event_unique');
      const { rows } = await loose.query<{ now: Date }>('SELECT now() AS now');
      const now = rows[0]?.now as Date;
      const twice = { consumer: 'batch', eventId: 'dup', parts: [1, 1, 1] } as const;
      await insertRows(loose, now, [
        { ...twice, processedAt: -30 * SECOND },
        { ...twice, processedAt: -20 * SECOND },
        { ...twice, processedAt: -10 * SECOND },
        { consumer: 'realtime', eventId: 'dup', processedAt: -40 * SECOND, parts: [1, 1, 1] },
      ]);

      const dups = await compareConsumers(
        loose,
        { since: { ago: MINUTE }, until: { ago: 0 } },
        SETTINGS,
      );

      expect(dups.completeness.duplicateRows).toEqual({ realtime: 0, batch: 2 });
      expect(dups.completeness.events).toBe(1);
    } finally {
      await loose.end();
    }
  });
});

describe('compare a minute after start, with the default range', () => {
  it('fits the window to the data, counts rates over the fetching time, and the open batch window as in flight', async () => {
    const { pool: fresh } = await migratedDatabase('compare_newcomer');
    try {
      const { rows } = await fresh.query<{ now: Date }>('SELECT now() AS now');
      const now = rows[0]?.now as Date;
      // One record every 2 s for the last minute (30 a minute): realtime wrote each 100 ms
      // after its fetch; batch wrote those fetched up to 20 s ago, 15 s after each fetch.
      const fetched = (i: number) => -59 * SECOND + 2 * i * SECOND;
      const events = Array.from({ length: 30 }, (_, i) => i);
      await insertRows(fresh, now, [
        ...events.map((i) => ({
          consumer: 'realtime' as const,
          eventId: `n${i}`,
          processedAt: fetched(i) + 100,
          parts: [1, 49, 50] as const,
        })),
        ...events
          .filter((i) => fetched(i) <= -20 * SECOND)
          .map((i) => ({
            consumer: 'batch' as const,
            eventId: `n${i}`,
            processedAt: fetched(i) + 15 * SECOND,
            parts: [1, 14_949, 50] as const,
          })),
      ]);

      const newcomer = await compareConsumers(
        fresh,
        { since: DEFAULT_SINCE, until: { ago: 0 } },
        SETTINGS,
      );

      // The window starts on the first row's minute, not an hour (or 5 minutes) back.
      const firstRow = now.getTime() - 59 * SECOND + 100;
      expect(newcomer.window.fitted).toBe(true);
      expect(Date.parse(newcomer.window.since)).toBe(Math.floor(firstRow / MINUTE) * MINUTE);
      // 30 a minute for both, whatever the window's length.
      expect(newcomer.consumers.realtime.throughputPerMinute).toBe(30);
      expect(newcomer.consumers.batch.throughputPerMinute).toBe(30);
      // Fetched 1-17 s ago: within batch's 18 s, in flight; the one fetched 19 s ago is missing.
      expect(newcomer.consumers.batch.records).toBe(20);
      expect(newcomer.completeness.missingFrom.batch).toMatchObject({
        count: 1,
        inFlight: 9,
        examples: ['n20'],
      });
      expect(newcomer.completeness.missingFrom.realtime).toMatchObject({ count: 0, inFlight: 0 });

      // The default start with an end in the past: the first row before that end.
      const earlier = await compareConsumers(
        fresh,
        { since: DEFAULT_SINCE, until: { at: new Date(now.getTime() - 30 * SECOND) } },
        SETTINGS,
      );
      expect(earlier.window.since).toBe(newcomer.window.since);
      expect(earlier.consumers.realtime.records).toBe(15);
    } finally {
      await fresh.end();
    }
  });
});
