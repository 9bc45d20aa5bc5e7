/**
 * A data widget's query, run for a time range, and its rows laid out as the
 * widget's view draws them. The one code path behind both pages: the local
 * dashboard (local/dashboard/widget-data.ts) and the CloudWatch dashboard's
 * custom widgets (the reports function). It runs only the SQL file the
 * definition names, with the range (and a bucket width) as parameters.
 */
import type {
  Column,
  DataQuery,
  DataWidgetView,
  SeriesShape,
  Unit,
} from '../../cdk/dashboard/definition.ts';
import type { Db } from './db.ts';
import { readSql } from './sql.ts';
import { bucketGrid, bucketSeconds, type TimeRange } from './time-buckets.ts';

export interface Series {
  label: string;
  values: Array<number | null>;
}

export interface Panel {
  /** A small multiple's title (a symbol), or null for a single chart. */
  title: string | null;
  /** Epoch seconds. */
  x: number[];
  series: Series[];
}

export type WidgetBody =
  | { type: 'timeseries'; unit: Unit; bucketSeconds: number | null; panels: Panel[] }
  | { type: 'single-value'; unit: Unit; values: Array<{ label: string; value: number | null }> }
  | { type: 'table'; columns: readonly Column[]; rows: Array<Record<string, unknown>> }
  | { type: 'cdf'; unit: Unit; series: CdfSeries[] }
  | {
      type: 'cards';
      title: string;
      primary: Column;
      secondary: readonly Column[];
      rows: Array<Record<string, unknown>>;
    }
  | { type: 'unavailable'; message: string };

export interface CdfSeries {
  label: string;
  records: number;
  /** [value, share of rows at or below it], ascending. */
  points: Array<[number, number]>;
}

/** Runs a data query for the range and lays its rows out for the view. */
export async function dataBody(
  db: Pick<Db, 'query'>,
  query: DataQuery,
  view: DataWidgetView,
  range: TimeRange,
): Promise<WidgetBody> {
  const seconds = view.type === 'timeseries' && view.bucketed ? bucketSeconds(range) : null;
  const params: unknown[] = [range.from, range.to];
  if (seconds !== null) params.push(seconds);
  const { rows } = await db.query<Record<string, unknown>>(readSql(query), params);
  switch (view.type) {
    case 'timeseries':
      return {
        type: 'timeseries',
        unit: view.unit,
        bucketSeconds: seconds,
        panels: toPanels(rows, view.shape, seconds === null ? null : bucketGrid(range, seconds)),
      };
    case 'table':
      return { type: 'table', columns: view.columns, rows: rows.map(plain) };
    case 'cdf':
      return { type: 'cdf', unit: view.unit, series: toCdf(rows, view) };
    case 'cards':
      return {
        type: 'cards',
        title: view.title,
        primary: view.primary,
        secondary: view.secondary,
        rows: rows.map(plain),
      };
  }
}

/** Rows of (series, records, share, value) into one line per series, in the rows' order. */
export function toCdf(
  rows: Array<Record<string, unknown>>,
  view: Extract<DataWidgetView, { type: 'cdf' }>,
): CdfSeries[] {
  const series = new Map<string, CdfSeries>();
  for (const row of rows) {
    const label = String(row[view.series]);
    const value = numberOrNull(row[view.value]);
    const share = numberOrNull(row[view.share]);
    if (value === null || share === null) continue;
    let line = series.get(label);
    if (!line) {
      line = { label, records: numberOrNull(row[view.records]) ?? 0, points: [] };
      series.set(label, line);
    }
    line.points.push([value, share]);
  }
  return [...series.values()];
}

/** Rows as JSON-friendly objects: times as ISO strings. */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    out[key] = value instanceof Date ? value.toISOString() : value;
  }
  return out;
}

const epochSeconds = (value: unknown) =>
  value instanceof Date ? Math.round(value.getTime() / 1000) : Number.NaN;

const numberOrNull = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/**
 * Rows into charts. On a bucket grid every bucket gets a slot, so missing
 * buckets are gaps; otherwise the x values are the rows' own times.
 */
export function toPanels(
  rows: Array<Record<string, unknown>>,
  shape: SeriesShape,
  grid: number[] | null,
): Panel[] {
  if ('wide' in shape) {
    const { time, columns } = shape.wide;
    const x = grid ?? rows.map((r) => epochSeconds(r[time]));
    const index = new Map(x.map((t, i) => [t, i]));
    const series = columns.map((column) => ({
      label: column,
      values: x.map(() => null) as Array<number | null>,
    }));
    for (const row of rows) {
      const at = index.get(epochSeconds(row[time]));
      if (at === undefined) continue;
      columns.forEach((column, c) => {
        (series[c] as Series).values[at] = numberOrNull(row[column]);
      });
    }
    return [{ title: null, x, series }];
  }
  const { time, series: seriesKey, value, panel: panelKey } = shape.long;
  const panels = new Map<string, Map<string, Map<number, number | null>>>();
  const times = new Set<number>();
  for (const row of rows) {
    const panel = panelKey ? String(row[panelKey]) : '';
    const name = String(row[seriesKey]);
    const t = epochSeconds(row[time]);
    if (Number.isNaN(t)) continue;
    times.add(t);
    let byName = panels.get(panel);
    if (!byName) {
      byName = new Map();
      panels.set(panel, byName);
    }
    let points = byName.get(name);
    if (!points) {
      points = new Map();
      byName.set(name, points);
    }
    points.set(t, numberOrNull(row[value]));
  }
  const x = grid ?? [...times].sort((a, b) => a - b);
  if (panels.size === 0) return [{ title: null, x, series: [] }];
  return [...panels].map(([title, byName]) => ({
    title: panelKey ? title : null,
    x,
    series: [...byName].map(([label, points]) => ({
      label,
      values: x.map((t) => points.get(t) ?? null),
    })),
  }));
}
