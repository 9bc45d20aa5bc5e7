/**
 * The data of one widget of the definition, for one time range: metric
 * widgets from the local metric store, data widgets from their SQL file.
 * Only SQL files named in the definition ever run; the client gives a widget
 * id and a validated time range, nothing else.
 */

import type {
  AppMetric,
  AwsMetric,
  LocalRuntimeMetric,
  MetricWidget,
  Widget,
} from '../../cdk/dashboard/definition.ts';
import { dataBody, type Series, type WidgetBody } from '../../lambdas/shared/widget-query.ts';
import { ALARM_COLUMNS, alarmStates } from './alarm-states.ts';
import { LOCAL_NAMESPACE } from './collector.ts';
import { metricSeries, metricTotal, type Queryable, statValue } from './metric-store.ts';
import { bucketGrid, bucketSeconds, type TimeRange } from './time-range.ts';

export type { CdfSeries, Panel, Series, WidgetBody } from '../../lambdas/shared/widget-query.ts';
export { toCdf, toPanels } from '../../lambdas/shared/widget-query.ts';

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
