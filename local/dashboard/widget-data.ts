/**
 * The data of one widget of the definition, for one time range: metric
 * widgets from the local metric store, data widgets from their SQL file.
 * Only SQL files named in the definition ever run; the client gives a widget
 * id and a validated time range, nothing else.
 */

import type {
  AppMetric,
  AwsMetric,
  Column,
  DataQuery,
  DataWidgetView,
  LocalRuntimeMetric,
  MetricWidget,
  SeriesShape,
  Unit,
  Widget,
} from '../../cdk/dashboard/definition.ts';
import { readSql } from '../../lambdas/shared/sql.ts';
import { ALARM_COLUMNS, alarmStates } from './alarm-states.ts';
import { LOCAL_NAMESPACE } from './collector.ts';
import { metricSeries, metricTotal, type Queryable, statValue } from './metric-store.ts';
import { bucketGrid, bucketSeconds, type TimeRange } from './time-range.ts';

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

export interface WidgetData {
  id: string;
  from: string;
  to: string;
  /** Where the local numbers come from, when not from the widget's own metrics. */
  note: string | undefined;
  /** True when there is nothing to draw; `emptyMessage` says why. */
  empty: boolean;
  emptyMessage: string | undefined;
  body: WidgetBody;
}

export interface WidgetContext {
  db: Queryable;
  /** Namespace of the functions' EMF metrics (their POWERTOOLS_METRICS_NAMESPACE). */
  namespace: string;
}

export async function widgetData(
  widget: Widget,
  range: TimeRange,
  context: WidgetContext,
): Promise<WidgetData> {
  const base = { id: widget.id, from: range.from.toISOString(), to: range.to.toISOString() };
  if (widget.kind === 'alarms') {
    const states = await alarmStates(context.db, context.namespace, range.to);
    return {
      ...base,
      note: 'Computed here from what the local runtime measures, with the CloudWatch alarms’ thresholds and periods, at the end of the range.',
      empty: false,
      emptyMessage: undefined,
      body: {
        type: 'table',
        columns: ALARM_COLUMNS,
        rows: states.map(({ state, title, value, threshold }) => ({
          state,
          title,
          value,
          threshold,
        })),
      },
    };
  }
  if (widget.kind === 'data') {
    const body = await dataBody(context.db, widget.query, widget.view, range);
    return { ...base, note: undefined, ...emptiness(body, widget.title) };
  }
  const local = widget.local;
  if (local && 'unavailable' in local) {
    return {
      ...base,
      note: undefined,
      empty: true,
      emptyMessage: local.unavailable,
      body: { type: 'unavailable', message: local.unavailable },
    };
  }
  if (local && 'query' in local) {
    const body = await dataBody(context.db, local.query, local.view, range);
    return { ...base, note: local.note, ...emptiness(body, widget.title) };
  }
  const metrics = local ? local.metrics : widget.metrics;
  const body = await metricBody(context, widget, metrics, range);
  return { ...base, note: local?.note, ...emptiness(body, widget.title) };
}

function emptiness(body: WidgetBody, title: string) {
  let empty: boolean;
  switch (body.type) {
    case 'timeseries':
      empty = body.panels.every((p) => p.series.every((s) => s.values.every((v) => v === null)));
      break;
    case 'single-value':
      empty = body.values.every((v) => v.value === null);
      break;
    case 'table':
    case 'cards':
      empty = body.rows.length === 0;
      break;
    case 'cdf':
      empty = body.series.every((s) => s.points.length === 0);
      break;
    default:
      empty = true;
  }
  return {
    empty,
    emptyMessage: empty ? `No data for “${title}” in this time range yet.` : undefined,
    body,
  };
}

// ---------------------------------------------------------------------------
// metric widgets

type LocalSpec = AppMetric | AwsMetric | LocalRuntimeMetric;

async function metricBody(
  context: WidgetContext,
  widget: MetricWidget,
  specs: readonly LocalSpec[],
  range: TimeRange,
): Promise<WidgetBody> {
  const queries = specs.map((spec) => toQuery(spec, context.namespace, range));
  if (widget.view === 'single-value') {
    const values: Array<{ label: string; value: number | null }> = [];
    for (const [i, query] of queries.entries()) {
      const spec = specs[i] as LocalSpec;
      const rows = await metricTotal(context.db, query);
      if (rows.length === 0) values.push({ label: spec.label || spec.metric, value: null });
      for (const row of rows) {
        values.push({ label: labelOf(spec, row.split), value: statValue(row, spec.stat) });
      }
    }
    return { type: 'single-value', unit: widget.unit, values };
  }
  // Locally the bucket follows the range (10 s at least), not the CloudWatch
  // period: a short local run would otherwise be one or two points.
  const seconds = bucketSeconds(range);
  const x = bucketGrid(range, seconds);
  const index = new Map(x.map((t, i) => [t, i]));
  const series: Series[] = [];
  for (const [i, query] of queries.entries()) {
    const spec = specs[i] as LocalSpec;
    const rows = await metricSeries(context.db, query, seconds);
    const bySplit = new Map<string, Series>();
    for (const row of rows) {
      let line = bySplit.get(row.split);
      if (!line) {
        line = { label: labelOf(spec, row.split), values: x.map(() => null) };
        bySplit.set(row.split, line);
      }
      const at = index.get(Math.round(row.t.getTime() / 1000));
      if (at !== undefined) line.values[at] = statValue(row, spec.stat);
    }
    if (bySplit.size === 0 && !('splitBy' in spec && spec.splitBy)) {
      // Keep the line in the legend, empty: "no data", not "no such metric".
      bySplit.set('', { label: labelOf(spec, ''), values: x.map(() => null) });
    }
    series.push(...bySplit.values());
  }
  return {
    type: 'timeseries',
    unit: widget.unit,
    bucketSeconds: seconds,
    panels: [{ title: null, x, series }],
  };
}

function toQuery(spec: LocalSpec, namespace: string, range: TimeRange) {
  if (spec.source === 'aws') {
    throw new Error(`${spec.namespace} ${spec.metric} has no local equivalent in the definition`);
  }
  const common = { from: range.from, to: range.to, metric: spec.metric as string };
  if (spec.source === 'local') {
    return { ...common, namespace: LOCAL_NAMESPACE, dimensions: {}, splitBy: spec.splitBy };
  }
  return {
    ...common,
    namespace,
    dimensions: spec.dimensions as Record<string, string>,
    splitBy: spec.splitBy,
  };
}

function labelOf(spec: LocalSpec, split: string): string {
  return [spec.label, split].filter(Boolean).join(' ') || spec.metric;
}

// ---------------------------------------------------------------------------
// data widgets

async function dataBody(
  db: Queryable,
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
