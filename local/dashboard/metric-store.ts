/**
 * The local metric store in PostgreSQL (`local_runtime.metric_points`): what
 * CloudWatch keeps on AWS, kept next to the pipeline's tables locally. The
 * SQL is in local/sql/, as files you can paste into psql.
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import type { MetricPoint } from './emf.ts';

type SqlName =
  | 'metric-points'
  | 'insert-metric-points'
  | 'metric-series'
  | 'metric-total'
  | 'prune-metric-points';

const cache = new Map<SqlName, string>();

function sql(name: SqlName): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`../sql/${name}.sql`, import.meta.url), 'utf8');
    cache.set(name, text);
  }
  return text;
}

export const METRIC_POINTS_TABLE = 'local_runtime.metric_points';

/** How long points are kept: the longest range the dashboard offers, and then some. */
export const RETENTION_MS = 32 * 24 * 3_600_000;

export type Queryable = Pick<pg.Pool, 'query'>;

export interface StoredPoint extends MetricPoint {
  function: string | undefined;
}

export interface Aggregates {
  sum: number;
  average: number;
  minimum: number;
  maximum: number;
  sample_count: number;
  /** p50, p95, p99 */
  pct: [number, number, number];
}

export interface SeriesRow extends Aggregates {
  t: Date;
  split: string;
}

export interface TotalRow extends Aggregates {
  split: string;
}

export interface MetricQuery {
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
  splitBy: string | undefined;
  from: Date;
  to: Date;
}

/** Creates the table (idempotent), serialized like the runtime's own schema. */
export async function ensureMetricStore(pool: Pick<pg.Pool, 'connect'>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('local_runtime metric_points'))");
    await client.query(sql('metric-points'));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

export async function insertMetricPoints(db: Queryable, points: StoredPoint[]): Promise<void> {
  if (points.length === 0) return;
  await db.query(sql('insert-metric-points'), [
    points.map((p) => p.time),
    points.map((p) => p.namespace),
    points.map((p) => p.metric),
    points.map((p) => p.unit ?? null),
    points.map((p) => p.value),
    points.map((p) => JSON.stringify(p.dimensions)),
    points.map((p) => p.function ?? null),
  ]);
}

export async function pruneMetricPoints(db: Queryable, now: number = Date.now()): Promise<number> {
  const result = await db.query(sql('prune-metric-points'), [new Date(now - RETENTION_MS)]);
  return result.rowCount ?? 0;
}

export async function metricSeries(
  db: Queryable,
  query: MetricQuery,
  bucketSeconds: number,
): Promise<SeriesRow[]> {
  const { rows } = await db.query<SeriesRow>(sql('metric-series'), [
    query.namespace,
    query.metric,
    JSON.stringify(query.dimensions),
    query.splitBy ?? null,
    query.from,
    query.to,
    bucketSeconds,
  ]);
  return rows;
}

export async function metricTotal(db: Queryable, query: MetricQuery): Promise<TotalRow[]> {
  const { rows } = await db.query<TotalRow>(sql('metric-total'), [
    query.namespace,
    query.metric,
    JSON.stringify(query.dimensions),
    query.splitBy ?? null,
    query.from,
    query.to,
  ]);
  return rows;
}

/** The value of a CloudWatch statistic from the aggregates of a bucket. */
export function statValue(row: Aggregates, stat: string): number {
  switch (stat) {
    case 'Sum':
      return row.sum;
    case 'Average':
      return row.average;
    case 'Minimum':
      return row.minimum;
    case 'Maximum':
      return row.maximum;
    case 'SampleCount':
      return row.sample_count;
    case 'p50':
      return row.pct[0];
    case 'p95':
      return row.pct[1];
    case 'p99':
      return row.pct[2];
    default:
      throw new Error(`unknown statistic ${stat}`);
  }
}
