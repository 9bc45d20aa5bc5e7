/**
 * What the reports function is asked, checked: a CloudWatch custom widget
 * (its `widgetContext` and our one parameter, the widget id) or a named
 * report. Never SQL: a widget id picks the definition's query, a report name
 * picks the report's queries.
 */
import {
  DASHBOARD,
  type DashboardDefinition,
  type DataWidget,
  findWidget,
} from '../../cdk/dashboard/definition.ts';

/** A request the function will not serve; the message says why in one line. */
export class ReportRequestError extends Error {
  override name = 'ReportRequestError';
}

/** The part of CloudWatch's custom widget event the function reads. */
export interface CustomWidgetEvent {
  describe?: boolean;
  widget?: unknown;
  widgetContext: {
    dashboardName?: string;
    widgetId?: string;
    timezone?: { label?: string; offsetInMinutes?: number };
    timeRange: {
      mode?: 'relative' | 'absolute';
      start: number;
      end: number;
      relativeStart?: number;
      zoom?: { start: number; end: number };
    };
    theme?: 'light' | 'dark';
    width?: number;
    height?: number;
    params?: Record<string, unknown>;
  };
}

export interface WidgetRequest {
  widget: DataWidget;
  from: Date;
  to: Date;
  width: number;
  height: number;
  theme: 'light' | 'dark';
}

export const isCustomWidgetEvent = (event: unknown): event is CustomWidgetEvent =>
  typeof event === 'object' && event !== null && 'widgetContext' in event;

/** The widget and the range to draw: the zoomed range when the dashboard is zoomed in. */
export function widgetRequest(
  event: CustomWidgetEvent,
  definition: DashboardDefinition = DASHBOARD,
): WidgetRequest {
  const context = event.widgetContext;
  const id = event.widget ?? context.params?.widget;
  if (typeof id !== 'string') {
    throw new ReportRequestError('the custom widget needs the parameter "widget": a widget id');
  }
  const widget = findWidget(id, definition);
  if (widget?.kind !== 'data' || widget.cloudwatch) {
    const ids = definition.sections
      .flatMap((s) => s.widgets)
      .filter((w) => w.kind === 'data' && !w.cloudwatch)
      .map((w) => w.id);
    throw new ReportRequestError(
      `no custom widget ${JSON.stringify(id)}; the custom widgets are ${ids.join(', ')}`,
    );
  }
  const range = context.timeRange?.zoom ?? context.timeRange;
  const from = new Date(Number(range?.start));
  const to = new Date(Number(range?.end));
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
    throw new ReportRequestError('widgetContext.timeRange needs a start before its end (epoch ms)');
  }
  return {
    widget,
    from,
    to,
    width: clampSize(context.width, 600),
    height: clampSize(context.height, 300),
    theme: context.theme === 'dark' ? 'dark' : 'light',
  };
}

const clampSize = (value: unknown, fallback: number) =>
  typeof value === 'number' && Number.isFinite(value)
    ? Math.min(Math.max(value, 120), 4000)
    : fallback;

/** The named reports and what each takes. */
export interface CompareRequest {
  report: 'compare';
  /** As `npm run compare -- --since`: 30s, 5m, 2h, 1d or an ISO time; default the shared default range. */
  since?: string;
  /** As `--until`: the same forms, or `now`. Default now. */
  until?: string;
  /** Also each consumer's latency distribution (`npm run report`). */
  latencyCdf?: boolean;
}

export const REPORTS = ['compare'] as const;

export function reportRequest(event: unknown): CompareRequest {
  const request = (event ?? {}) as Record<string, unknown>;
  if (request.report !== 'compare') {
    throw new ReportRequestError(
      `report must be one of ${REPORTS.join(', ')}, got ${JSON.stringify(request.report)}`,
    );
  }
  for (const key of Object.keys(request)) {
    if (!['report', 'since', 'until', 'latencyCdf'].includes(key)) {
      throw new ReportRequestError(`unknown field ${JSON.stringify(key)} for report compare`);
    }
  }
  for (const key of ['since', 'until'] as const) {
    if (request[key] !== undefined && typeof request[key] !== 'string') {
      throw new ReportRequestError(`${key} must be a string like 5m or an ISO time`);
    }
  }
  if (request.latencyCdf !== undefined && typeof request.latencyCdf !== 'boolean') {
    throw new ReportRequestError('latencyCdf must be true or false');
  }
  return request as unknown as CompareRequest;
}

export const DESCRIBE = `## pricestream data widget

Draws one data widget of the pricestream dashboard for the dashboard's time
range: the reports function runs the widget's SQL file (sql/…, the same one
the local dashboard runs) as a read-only user, and returns HTML with the chart
drawn as SVG.

### Widget parameters
Param | Description
---|---
**widget** | the widget id in cdk/dashboard/definition.ts, e.g. \`latest-prices\`

### Example parameters
\`\`\` yaml
widget: latency-cdf
\`\`\`
`;
