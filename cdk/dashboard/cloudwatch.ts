import { Duration } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  CustomWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IWidget,
  LogQueryVisualizationType,
  LogQueryWidget,
  Metric,
  SingleValueWidget,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import {
  type AppMetric,
  type AwsMetric,
  type ConsumerName,
  DASHBOARD,
  type DashboardDefinition,
  type DataWidget,
  type MetricWidget,
  type ServiceName,
  type Unit,
} from './definition.ts';

/** What the definition's metric references resolve to in a deployed stack. */
export interface DashboardResources {
  /** Namespace of the functions' EMF metrics (`metricsNamespace`). */
  namespace: string;
  /** Function names by Powertools service name; a function the stack lacks is left out. */
  functionNames: Partial<Record<ServiceName, string>>;
  streamName: string;
  /** The event source mappings' UUIDs, by consumer (their EventSourceMappingUUID dimension). */
  mappingIds: Record<ConsumerName, string>;
  /** The values a `splitBy: 'symbol'` metric is drawn for. */
  symbols: readonly string[];
  timestreamEnabled: boolean;
  /** The alarms the status widget shows. @default none */
  alarms?: readonly IAlarm[];
  /** Serves the data widgets as custom widgets (it runs their SQL, read-only). */
  reportsFunction?: IFunction;
  /** Log group names by service, for Logs Insights widgets. */
  logGroups?: Partial<Record<ServiceName, string>>;
}

const GRAPH_HEIGHT = 6;

/**
 * The CloudWatch dashboard of the definition: a header per section (the only
 * text), metric widgets as graphs or single values, and each SQL-backed data
 * widget as a custom widget of the reports function (which runs the same SQL
 * file, read-only, for the dashboard's time range) or as a Logs Insights query.
 */
export function renderCloudWatchDashboard(
  scope: Construct,
  id: string,
  dashboardName: string,
  resources: DashboardResources,
  definition: DashboardDefinition = DASHBOARD,
): Dashboard {
  const dashboard = new Dashboard(scope, id, {
    dashboardName,
    defaultInterval: Duration.hours(3),
  });
  for (const section of definition.sections) {
    const widgets = section.widgets
      .filter(
        (w) => w.kind !== 'metric' || w.onlyWhen !== 'timestream' || resources.timestreamEnabled,
      )
      .map((w) => {
        if (w.kind === 'metric') return metricWidget(w, resources);
        if (w.kind === 'data') return dataWidget(w, resources);
        return new AlarmStatusWidget({
          title: w.title,
          width: w.width,
          height: GRAPH_HEIGHT,
          alarms: [...(resources.alarms ?? [])],
        });
      });
    if (widgets.length === 0) continue;
    dashboard.addWidgets(
      new TextWidget({ markdown: `## ${section.title}`, width: 24, height: 1 }),
      ...widgets,
    );
  }
  return dashboard;
}

const AXIS_LABEL: Record<Unit, string> = {
  ms: 'milliseconds',
  s: 'seconds',
  count: 'count',
  USD: 'price',
  '%': 'percent',
};

function metricWidget(widget: MetricWidget, resources: DashboardResources): IWidget {
  const period = Duration.seconds(widget.periodSeconds);
  const metrics = widget.metrics.flatMap((m) => toCloudWatchMetrics(m, resources, period));
  if (widget.view === 'single-value') {
    return new SingleValueWidget({
      title: widget.title,
      width: widget.width,
      height: GRAPH_HEIGHT,
      metrics,
      setPeriodToTimeRange: true,
    });
  }
  return new GraphWidget({
    title: widget.title,
    width: widget.width,
    height: GRAPH_HEIGHT,
    left: metrics,
    leftYAxis: { label: AXIS_LABEL[widget.unit], showUnits: false, min: 0 },
  });
}

/** One CloudWatch metric per line: a `splitBy` metric gives one per symbol. */
export function toCloudWatchMetrics(
  spec: AppMetric | AwsMetric,
  resources: DashboardResources,
  period: Duration,
): Metric[] {
  if (spec.source === 'app') {
    const dimensions: Record<string, string> = { ...spec.dimensions };
    const values = spec.splitBy ? resources.symbols : [undefined];
    return values.map(
      (value) =>
        new Metric({
          namespace: resources.namespace,
          metricName: spec.metric,
          dimensionsMap:
            spec.splitBy && value ? { ...dimensions, [spec.splitBy]: value } : dimensions,
          statistic: spec.stat,
          period,
          label: [spec.label, value].filter(Boolean).join(' '),
        }),
    );
  }
  const r = spec.resource;
  let dimensionsMap: Record<string, string>;
  if ('function' in r) {
    const name = resources.functionNames[r.function];
    if (name === undefined) return [];
    dimensionsMap = { FunctionName: name };
  } else if ('stream' in r) {
    dimensionsMap = { StreamName: resources.streamName };
  } else {
    dimensionsMap = { EventSourceMappingUUID: resources.mappingIds[r.mapping] };
  }
  return [
    new Metric({
      namespace: spec.namespace,
      metricName: spec.metric,
      dimensionsMap,
      statistic: spec.stat,
      period,
      label: spec.label,
    }),
  ];
}

/** What the reports function is given by a custom widget: the widget id, nothing else. */
export interface CustomWidgetParams {
  widget: string;
}

function dataWidget(widget: DataWidget, resources: DashboardResources): IWidget {
  const form = widget.cloudwatch;
  if (form) {
    const { services, query, view } = form.logsInsights;
    const logGroupNames = services.map((service) => {
      const name = resources.logGroups?.[service];
      if (name === undefined) {
        throw new Error(`widget ${widget.id}: no log group for ${service}`);
      }
      return name;
    });
    return new LogQueryWidget({
      title: widget.title,
      width: widget.width,
      height: GRAPH_HEIGHT,
      logGroupNames,
      queryLines: [...query],
      view: LOG_VIEW[view],
    });
  }
  if (!resources.reportsFunction) {
    throw new Error(`widget ${widget.id}: a custom widget needs the reports function`);
  }
  const params: CustomWidgetParams = { widget: widget.id };
  return new CustomWidget({
    title: widget.title,
    width: widget.width,
    height: GRAPH_HEIGHT,
    functionArn: resources.reportsFunction.functionArn,
    params,
    updateOnRefresh: true,
    updateOnResize: true,
    updateOnTimeRangeChange: true,
  });
}

const LOG_VIEW = {
  line: LogQueryVisualizationType.LINE,
  table: LogQueryVisualizationType.TABLE,
  bar: LogQueryVisualizationType.BAR,
} as const;
