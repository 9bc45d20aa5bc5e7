import type { Db } from './db.ts';
import { type Bound, resolveWindow, type Window, WindowError } from './report-window.ts';

/** Lambda polls a shard about once a second. */
export const POLL_SECONDS = 1;
/** An invocation and its insert, after the poll. */
export const DELIVERY_SLACK_SECONDS = 2;

/**
 * How long after reaching Kinesis a record may still be on its way to a
 * consumer: its batching window, the poll and the write. Younger records
 * missing from it are in flight, not missing.
 */
export function inFlightSeconds(batchingWindowSeconds: number): number {
  return batchingWindowSeconds + POLL_SECONDS + DELIVERY_SLACK_SECONDS;
}

/** What a report needs to know of the consumers' settings. */
export interface ReportSettings {
  /** Each consumer's batching window, seconds (the stack's configuration). */
  batchingWindowSeconds: Record<ConsumerName, number>;
}

import type { ConsumerName } from './silver-store.ts';
import { readSql } from './sql.ts';

/**
 * The realtime (per-record, "Flink-like") and batch (batching window, "Spark
 * micro-batch") consumers compared over one window of silver.prices. Every
 * figure comes from a query in sql/reports/ that takes $1 since, $2 until.
 * Millisecond figures are rounded to the microsecond the columns hold.
 */

export const CONSUMERS = ['realtime', 'batch'] as const satisfies readonly ConsumerName[];

export interface LatencyStats {
  avg: number;
  min: number;
  max: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface PartStats {
  avg: number;
  p50: number;
  p95: number;
}

export interface LatencyParts {
  /** ingested_at − fetched_at: producer to Kinesis (two clocks). */
  fetchedToIngested: PartStats;
  /** received_at − ingested_at: polling and batching wait. */
  ingestedToReceived: PartStats;
  /** processed_at − received_at: the write. */
  receivedToProcessed: PartStats;
}

export interface LatestRecord {
  eventId: string;
  symbol: string;
  price: number;
  fetchedAt: string;
  processedAt: string;
  latencyMs: number;
}

export interface ConsumerReport {
  records: number;
  /**
   * Records per minute while the producer was sending them (from the first
   * to the last fetch of the consumer's rows, plus one fetch interval), not
   * over the whole window; null with a single fetch.
   */
  throughputPerMinute: number | null;
  /** The last processed_at in the window; null without rows. */
  lastWriteAt: string | null;
  /** now() − lastWriteAt, in seconds; null without rows. */
  freshnessSeconds: number | null;
  /** End-to-end latency, processed_at − fetched_at; null without rows. */
  latencyMs: LatencyStats | null;
  latencyPartsMs: LatencyParts | null;
  /** The 5 newest rows, newest first. */
  latest: LatestRecord[];
}

export interface SymbolStats {
  records: number;
  avgPrice: number;
  minPrice: number;
  maxPrice: number;
}

export type PerSymbol = { symbol: string } & Record<ConsumerName, SymbolStats | null>;
export type PerMinute = { minute: string } & Record<ConsumerName, number>;

export interface Missing {
  /** Events the other consumer wrote and this one has not, older than its in-flight time. */
  count: number;
  /** Events it has not written yet that reached Kinesis within its in-flight time: on their way, not missing. */
  inFlight: number;
  /** Seconds after reaching Kinesis an event still counts as in flight for this consumer. */
  inFlightSeconds: number;
  /** Up to 5 missing event ids, oldest first. */
  examples: string[];
}

export interface Completeness {
  /** Distinct event ids with a row in the window, either consumer. */
  events: number;
  /** Events the other consumer has in the window and this one has no row for at all. */
  missingFrom: Record<ConsumerName, Missing>;
  /** Rows beyond the first per (consumer, event_id) in the window; the unique key keeps it 0. */
  duplicateRows: Record<ConsumerName, number>;
}

export interface CompareReport {
  version: 2;
  /** The database's now(), which durations and freshness are measured from. */
  generatedAt: string;
  /**
   * Rows with since <= processed_at < until. `fitted`: the default start, the
   * first row's minute within the last hour (or the whole hour).
   */
  window: { since: string; until: string; seconds: number; fitted: boolean };
  percentiles: 'percentile_cont';
  consumers: Record<ConsumerName, ConsumerReport>;
  perSymbol: PerSymbol[];
  perMinute: PerMinute[];
  completeness: Completeness;
}

/** Reads the database clock, resolves the window against it and builds the report. */
export async function compareConsumers(
  db: Db,
  bounds: { since: Bound; until: Bound },
  settings: ReportSettings,
): Promise<CompareReport> {
  const now = await databaseNow(db);
  const window = await reportWindow(db, now, bounds);
  const report = await buildReport(db, window, now, settings);
  report.window.fitted = 'firstRowWithin' in bounds.since;
  return report;
}

/** The bounds at the database's `now`; a default start looks for the first row. */
export async function reportWindow(
  db: Db,
  now: Date,
  bounds: { since: Bound; until: Bound },
): Promise<Window> {
  const { since, until } = bounds;
  if (!('firstRowWithin' in since)) return resolveWindow(now, since, until);
  if ('firstRowWithin' in until) throw new WindowError('--until cannot be the default start');
  const end = 'at' in until ? until.at : new Date(now.getTime() - until.ago);
  const { rows } = await db.query<{ first_row_at: Date | null }>(readSql('reports/first_row.sql'), [
    new Date(end.getTime() - since.firstRowWithin),
    end,
  ]);
  return resolveWindow(now, since, until, rows[0]?.first_row_at ?? null);
}

export async function databaseNow(db: Db): Promise<Date> {
  const { rows } = await db.query<{ now: Date }>(readSql('reports/clock.sql'));
  const now = rows[0]?.now;
  if (!now) throw new Error('reports/clock.sql returned no row');
  return now;
}

export async function buildReport(
  db: Db,
  window: Window,
  now: Date,
  settings: ReportSettings,
): Promise<CompareReport> {
  const params = [window.since, window.until];
  const run = async <T extends object>(file: string, extra: unknown[] = []) =>
    (await db.query<T>(readSql(`reports/${file}`), [...params, ...extra])).rows;
  const inFlight = byConsumer((consumer) =>
    inFlightSeconds(settings.batchingWindowSeconds[consumer]),
  );

  // One after the other: a caller may hand in one client inside a snapshot transaction.
  const consumerRows = await run<ConsumerRow>('consumers.sql');
  const partRows = await run<PartRow>('latency_parts.sql');
  const latestRows = await run<LatestRow>('latest.sql');
  const symbolRows = await run<SymbolRow>('per_symbol.sql');
  const minuteRows = await run<MinuteRow>('per_minute.sql');
  const missingRows = await run<MissingRow>('completeness.sql', [
    inFlight.realtime,
    inFlight.batch,
  ]);
  const duplicateRows = await run<DuplicateRow>('duplicates.sql');

  const consumers = byConsumer((consumer): ConsumerReport => {
    const row = consumerRows.find((r) => r.consumer === consumer);
    return {
      records: row?.records ?? 0,
      throughputPerMinute: row?.per_minute ?? null,
      lastWriteAt: row?.last_write_at?.toISOString() ?? null,
      // From the report's own now(), which generatedAt shows: the query's
      // freshness_s (kept for the dashboard widget) is its statement's now(),
      // a few milliseconds later.
      freshnessSeconds: row?.last_write_at
        ? (now.getTime() - row.last_write_at.getTime()) / 1000
        : null,
      latencyMs: row?.records ? latencyStats(row) : null,
      latencyPartsMs: latencyParts(partRows.filter((r) => r.consumer === consumer)),
      latest: latestRows
        .filter((r) => r.consumer === consumer)
        .map((r) => ({
          eventId: r.event_id,
          symbol: r.symbol,
          price: r.price,
          fetchedAt: r.fetched_at.toISOString(),
          processedAt: r.processed_at.toISOString(),
          latencyMs: r.latency_ms,
        })),
    };
  });

  const symbols = [...new Set(symbolRows.map((r) => r.symbol))];
  const perSymbol = symbols.map((symbol) => ({
    symbol,
    ...byConsumer((consumer) => {
      const row = symbolRows.find((r) => r.symbol === symbol && r.consumer === consumer);
      return row
        ? {
            records: row.records,
            avgPrice: row.avg_price,
            minPrice: row.min_price,
            maxPrice: row.max_price,
          }
        : null;
    }),
  }));

  return {
    version: 2,
    generatedAt: now.toISOString(),
    window: {
      since: window.since.toISOString(),
      until: window.until.toISOString(),
      seconds: (window.until.getTime() - window.since.getTime()) / 1000,
      fitted: false,
    },
    percentiles: 'percentile_cont',
    consumers,
    perSymbol,
    perMinute: minuteRows.map((r) => ({
      minute: r.minute.toISOString(),
      realtime: r.realtime,
      batch: r.batch,
    })),
    completeness: {
      events: missingRows[0]?.events ?? 0,
      missingFrom: byConsumer((consumer) => {
        const row = missingRows.find((r) => r.missing_from === consumer);
        return {
          count: row?.missing ?? 0,
          inFlight: row?.in_flight ?? 0,
          inFlightSeconds: inFlight[consumer],
          examples: row?.examples ?? [],
        };
      }),
      duplicateRows: byConsumer(
        (consumer) => duplicateRows.find((r) => r.consumer === consumer)?.duplicate_rows ?? 0,
      ),
    },
  };
}

/** One consumer's latency distribution: [latency ms, share of rows at or below it], ascending. */
export interface LatencyCdf {
  label: string;
  records: number;
  points: Array<[number, number]>;
}

interface CdfRow {
  consumer: string;
  records: number;
  share: number;
  latency_ms: number;
}

/** Each consumer's CDF over the window, from sql/reports/latency_cdf.sql. */
export async function latencyCdf(db: Db, since: Date, until: Date): Promise<LatencyCdf[]> {
  const { rows } = await db.query<CdfRow>(readSql('reports/latency_cdf.sql'), [since, until]);
  return CONSUMERS.flatMap((consumer) => {
    const mine = rows.filter((r) => r.consumer === consumer);
    if (mine.length === 0) return [];
    return [
      {
        label: consumer,
        records: mine[0]?.records ?? 0,
        points: mine.map((r): [number, number] => [r.latency_ms, r.share]),
      },
    ];
  });
}

export const totalRecords = (report: CompareReport): number =>
  CONSUMERS.reduce((sum, consumer) => sum + report.consumers[consumer].records, 0);

function byConsumer<T>(pick: (consumer: ConsumerName) => T): Record<ConsumerName, T> {
  return { realtime: pick('realtime'), batch: pick('batch') };
}

function latencyStats(row: ConsumerRow): LatencyStats {
  return {
    avg: row.avg_ms as number,
    min: row.min_ms as number,
    max: row.max_ms as number,
    p50: row.p50_ms as number,
    p95: row.p95_ms as number,
    p99: row.p99_ms as number,
  };
}

function latencyParts(rows: PartRow[]): LatencyParts | null {
  const part = (name: string): PartStats | undefined => {
    const row = rows.find((r) => r.part === name);
    return row && { avg: row.avg_ms, p50: row.p50_ms, p95: row.p95_ms };
  };
  const fetchedToIngested = part('fetched_to_ingested');
  const ingestedToReceived = part('ingested_to_received');
  const receivedToProcessed = part('received_to_processed');
  if (!fetchedToIngested || !ingestedToReceived || !receivedToProcessed) return null;
  return { fetchedToIngested, ingestedToReceived, receivedToProcessed };
}

// Row shapes of the sql/reports/ queries, as node-postgres returns them.
interface ConsumerRow {
  consumer: ConsumerName;
  records: number;
  per_minute: number | null;
  avg_ms: number | null;
  min_ms: number | null;
  max_ms: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  last_write_at: Date | null;
  freshness_s: number | null;
}
interface PartRow {
  consumer: ConsumerName;
  part: string;
  avg_ms: number;
  p50_ms: number;
  p95_ms: number;
}
interface LatestRow {
  consumer: ConsumerName;
  event_id: string;
  symbol: string;
  price: number;
  fetched_at: Date;
  processed_at: Date;
  latency_ms: number;
}
interface SymbolRow {
  symbol: string;
  consumer: ConsumerName;
  records: number;
  avg_price: number;
  min_price: number;
  max_price: number;
}
interface MinuteRow {
  minute: Date;
  realtime: number;
  batch: number;
}
interface MissingRow {
  missing_from: ConsumerName;
  events: number;
  missing: number;
  in_flight: number;
  examples: string[];
}
interface DuplicateRow {
  consumer: ConsumerName;
  duplicate_rows: number;
}
