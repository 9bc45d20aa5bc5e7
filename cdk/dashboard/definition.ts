/**
 * The one dashboard definition. Two renderers read it:
 *
 * - `cdk/dashboard/cloudwatch.ts`: the CloudWatch dashboard of the stack
 *   (metric widgets as graphs and single values; data widgets, since
 *   CloudWatch cannot query PostgreSQL, as custom widgets served by the
 *   reports function, which runs the same SQL file in the database's network,
 *   or as a Logs Insights query over the functions' structured logs);
 * - `local/dashboard/`: the local runtime's web dashboard
 *   (http://127.0.0.1:3000), metric widgets from the EMF lines the functions
 *   print, data widgets from the SQL files named here.
 *
 * Plain data, no CDK or pg imports, so both sides (and tests) can load it.
 */
import { METRIC, type MetricName } from '../../lambdas/shared/metrics.ts';

/** CloudWatch statistics the widgets use; the local dashboard computes the same ones. */
export type Stat =
  | 'Sum'
  | 'Average'
  | 'Minimum'
  | 'Maximum'
  | 'SampleCount'
  | 'p50'
  | 'p95'
  | 'p99';

/** Powertools service names (POWERTOOLS_SERVICE_NAME) of the stack's functions. */
export type ServiceName = 'fetch-prices' | 'realtime-consumer' | 'batch-consumer' | 'rollup';
export type ConsumerName = 'realtime' | 'batch';

export const SERVICES: readonly ServiceName[] = [
  'fetch-prices',
  'realtime-consumer',
  'batch-consumer',
  'rollup',
];

/** A metric the functions publish as EMF, in the configured namespace. */
export interface AppMetric {
  source: 'app';
  metric: MetricName;
  stat: Stat;
  /** Exact dimension values; `service` is on every document. */
  dimensions: { service: ServiceName; consumer?: ConsumerName; granularity?: '10m' | '1h' };
  /**
   * One line per value of this dimension: on CloudWatch the configured
   * symbols, locally the values the documents carry.
   */
  splitBy?: 'symbol';
  label: string;
}

/** A metric AWS publishes about one of the stack's resources. */
export interface AwsMetric {
  source: 'aws';
  namespace: 'AWS/Lambda' | 'AWS/Kinesis';
  metric: string;
  stat: Stat;
  /** A function, the stream, or a consumer's event source mapping (its EventSourceMappingUUID). */
  resource: { function: ServiceName } | { stream: 'prices' } | { mapping: ConsumerName };
  label: string;
}

/**
 * What the local runtime measures itself (namespace `LocalRuntime`, from its
 * invocation and dead-letter reports): `Duration` (ms), `Invocations`,
 * `Errors` and `DeadLetterBatches`, each with the dimension `service`.
 */
export interface LocalRuntimeMetric {
  source: 'local';
  metric: 'Duration' | 'Invocations' | 'Errors' | 'DeadLetterBatches';
  stat: Stat;
  splitBy: 'service';
  label: string;
}

/** The SQL files data widgets run, relative to `sql/`: `$1` from, `$2` to, and `$3` the bucket in seconds for time series. */
export type DataQuery =
  | 'dashboard/latest_prices.sql'
  | 'dashboard/price_over_time.sql'
  | 'dashboard/latency_over_time.sql'
  | 'dashboard/iterator_age.sql'
  | 'dashboard/gold_hourly.sql'
  | 'dashboard/gold_hourly_change.sql'
  | 'reports/consumers.sql'
  | 'reports/latency_cdf.sql'
  | 'reports/per_minute.sql'
  | 'reports/per_symbol.sql';

export type Unit = 'ms' | 's' | 'count' | 'USD' | '%';

/** How a data time series is laid out in the query's rows. */
export type SeriesShape =
  /** One row per point: time, series name, value; optionally a panel (small multiples). */
  | { long: { time: string; series: string; value: string; panel?: string } }
  /** One row per time, one column per series. */
  | { wide: { time: string; columns: readonly string[] } };

export type Format = 'text' | 'int' | 'number' | 'price' | 'ms' | 's' | 'pct' | 'time' | 'age';

export interface Column {
  key: string;
  label: string;
  format: Format;
  /** Draw the value as a bar, scaled to the column's largest. */
  bar?: boolean;
}

export type DataWidgetView =
  | { type: 'timeseries'; unit: Unit; shape: SeriesShape; bucketed: boolean }
  | { type: 'table'; columns: readonly Column[] }
  /**
   * A cumulative distribution, one line per `series` value: rows of
   * (`series`, `records`, `share`, `value`), ascending by share.
   */
  | { type: 'cdf'; unit: Unit; series: string; share: string; value: string; records: string }
  /** One card per row: `title` names it, `primary` is the big number. */
  | { type: 'cards'; title: string; primary: Column; secondary: readonly Column[] };

interface WidgetBase {
  /** Stable id: the local API's `/api/widgets/<id>`, the CloudWatch widget's identity in tests. */
  id: string;
  title: string;
  /** One sentence: what it shows and how to read it. */
  description: string;
  /** Grid columns out of 24, as on CloudWatch. */
  width: 4 | 6 | 8 | 12 | 16 | 24;
}

export interface MetricWidget extends WidgetBase {
  kind: 'metric';
  view: 'graph' | 'single-value';
  unit: Unit;
  /** CloudWatch period, seconds (the local dashboard buckets by the range instead). */
  periodSeconds: number;
  metrics: readonly (AppMetric | AwsMetric)[];
  /** Shown only when this optional feature is configured. */
  onlyWhen?: 'timestream';
  /**
   * How the local dashboard shows a widget of AWS metrics, which no EMF line
   * carries: metrics it measures itself, a SQL series, or why it cannot.
   * Omitted: the widget's own (EMF) metrics.
   */
  local?:
    | { metrics: readonly (AppMetric | LocalRuntimeMetric)[]; note: string }
    | { query: DataQuery; view: Extract<DataWidgetView, { type: 'timeseries' }>; note: string }
    | { unavailable: string };
}

/**
 * A data widget drawn by CloudWatch Logs Insights instead of a custom widget:
 * a query over the Powertools JSON lines of some functions (their log groups).
 * Every field it names must be in those lines (the metric contract test
 * checks it against a local run).
 */
export interface LogsInsightsForm {
  logsInsights: {
    services: readonly ServiceName[];
    /** Logs Insights QL, one command per entry (joined with ` | `). */
    query: readonly string[];
    view: 'line' | 'table' | 'bar';
  };
  /** What differs from the SQL the local page runs, in one sentence. */
  note: string;
}

export interface DataWidget extends WidgetBase {
  kind: 'data';
  query: DataQuery;
  view: DataWidgetView;
  /**
   * How CloudWatch draws it. Default: a custom widget, whose Lambda (the
   * reports function) runs `query` for the dashboard's time range and returns
   * the same view as HTML with server-side SVG charts.
   */
  cloudwatch?: LogsInsightsForm;
}

/** The state of every alarm in ALARMS: CloudWatch's alarm status widget, locally a table computed from the same thresholds. */
export interface AlarmsWidget extends WidgetBase {
  kind: 'alarms';
}

export type Widget = MetricWidget | DataWidget | AlarmsWidget;

/**
 * One alarm, the same on AWS (a CloudWatch alarm notifying the stack's SNS
 * topic) and locally (its state computed by the local dashboard from the
 * local measurements, with the same threshold, period and missing-data rule).
 */
export interface AlarmDefinition {
  /** Stable id: the CloudWatch alarm's construct id, the local table's row. */
  id: string;
  title: string;
  /** What it means when it fires, and where to look. */
  description: string;
  /** The value compared with the threshold: a metric, or 100 × part ÷ whole. */
  value: { metric: AppMetric | AwsMetric } | { percent: { part: AppMetric; whole: AppMetric } };
  comparison: 'above' | 'below';
  threshold: number;
  unit: Unit;
  periodSeconds: number;
  /** The periods looked at. */
  evaluationPeriods: number;
  /** How many of them must breach to fire. @default all of them (evaluationPeriods) */
  datapointsToAlarm?: number;
  /** A period without data: good (`notBreaching`) or bad (`breaching`, for "nothing arrived"). */
  missingData: 'notBreaching' | 'breaching';
  /**
   * Quiet until the pipeline has run: the alarm notifies only while
   * PIPELINE_RAN is in alarm (fetch-prices attempted a fetch within the last
   * 24 hours). An alarm whose missing data breaches needs it, or it would fire
   * right after every deploy, before the first fetch. On AWS a composite
   * alarm of the two; locally the same rule.
   */
  armedBy?: 'pipeline-ran';
  /**
   * How the local runtime measures an AWS metric: its own count for a
   * service, or a series of a SQL query. Omitted: the value's own EMF metrics.
   */
  local?:
    | { runtime: LocalRuntimeMetric['metric']; service: ServiceName; stat: Stat }
    | { query: 'dashboard/iterator_age.sql'; series: string };
}

export interface Section {
  title: string;
  widgets: readonly Widget[];
}

export interface DashboardDefinition {
  title: string;
  sections: readonly Section[];
}

const CONSUMERS: ReadonlyArray<{ consumer: ConsumerName; service: ServiceName }> = [
  { consumer: 'realtime', service: 'realtime-consumer' },
  { consumer: 'batch', service: 'batch-consumer' },
];

/** One app metric per consumer. */
function perConsumer(metric: MetricName, stat: Stat, suffix = ''): AppMetric[] {
  return CONSUMERS.map(({ consumer, service }) => ({
    source: 'app',
    metric,
    stat,
    dimensions: { service, consumer },
    label: `${consumer}${suffix}`,
  }));
}

/** One AWS/Lambda metric of one function or mapping. */
function lambdaMetric(
  metric: string,
  stat: Stat,
  resource: { function: ServiceName } | { mapping: ConsumerName },
  label: string,
): AwsMetric {
  return { source: 'aws', namespace: 'AWS/Lambda', metric, stat, resource, label };
}

/** One AWS/Lambda metric per function. */
function perFunction(metric: string, stat: Stat): AwsMetric[] {
  return SERVICES.map((service) => lambdaMetric(metric, stat, { function: service }, service));
}

function localPerService(metric: LocalRuntimeMetric['metric'], stat: Stat): LocalRuntimeMetric[] {
  return [{ source: 'local', metric, stat, splitBy: 'service', label: '' }];
}

const LONG_SERIES = { long: { time: 't', series: 'series', value: 'value' } } as const;

export const DASHBOARD: DashboardDefinition = {
  title: 'pricestream',
  sections: [
    {
      title: 'Alarms',
      widgets: [
        {
          kind: 'alarms',
          id: 'alarms',
          title: 'Alarm states',
          description:
            'Every alarm of the pipeline: on AWS the CloudWatch alarms (they notify the alarm topic); locally the same thresholds applied to what the local runtime measures, at the end of the time range.',
          width: 24,
        },
      ],
    },
    {
      title: 'Now',
      widgets: [
        {
          kind: 'data',
          id: 'latest-prices',
          title: 'Latest price per symbol',
          description: 'The newest row of each symbol in the range, whichever consumer wrote it.',
          width: 16,
          query: 'dashboard/latest_prices.sql',
          view: {
            type: 'cards',
            title: 'symbol',
            primary: { key: 'price', label: 'price', format: 'price' },
            secondary: [
              { key: 'age_s', label: 'age', format: 'age' },
              { key: 'bid', label: 'bid', format: 'price' },
              { key: 'ask', label: 'ask', format: 'price' },
            ],
          },
        },
        {
          kind: 'data',
          id: 'freshness',
          title: 'Freshness per consumer',
          description:
            'Seconds since each consumer last wrote a row (database clock), with its records and latency over the range.',
          width: 8,
          query: 'reports/consumers.sql',
          view: {
            type: 'cards',
            title: 'consumer',
            primary: { key: 'freshness_s', label: 'since last write', format: 's' },
            secondary: [
              { key: 'records', label: 'records', format: 'int' },
              { key: 'per_minute', label: 'per minute', format: 'number' },
              { key: 'p50_ms', label: 'p50', format: 'ms' },
              { key: 'p95_ms', label: 'p95', format: 'ms' },
            ],
          },
        },
      ],
    },
    {
      title: 'Latency',
      widgets: [
        {
          kind: 'metric',
          id: 'e2e-latency',
          title: 'End-to-end latency (EMF)',
          description:
            'processed_at − fetched_at of every row written, as the consumers report it: p50 and p95 per consumer.',
          width: 12,
          view: 'graph',
          unit: 'ms',
          periodSeconds: 60,
          metrics: [
            ...perConsumer(METRIC.endToEndLatency, 'p50', ' p50'),
            ...perConsumer(METRIC.endToEndLatency, 'p95', ' p95'),
          ],
        },
        {
          kind: 'data',
          id: 'latency-cdf',
          title: 'Latency distribution per consumer (SQL)',
          description:
            'Share of the rows in the range written within a given end-to-end latency (log scale): the per-record consumer’s curve rises within a second, the batched one’s spreads over its window.',
          width: 12,
          query: 'reports/latency_cdf.sql',
          view: {
            type: 'cdf',
            unit: 'ms',
            series: 'consumer',
            share: 'share',
            value: 'latency_ms',
            records: 'records',
          },
        },
        {
          kind: 'data',
          id: 'latency-over-time',
          title: 'Latency p50 / p95 per consumer (SQL)',
          description:
            'The same latency computed from silver.prices, bucketed by processed_at: the ground truth the metrics should agree with.',
          width: 12,
          query: 'dashboard/latency_over_time.sql',
          view: { type: 'timeseries', unit: 'ms', shape: LONG_SERIES, bucketed: true },
        },
      ],
    },
    {
      title: 'Throughput',
      widgets: [
        {
          kind: 'metric',
          id: 'records-written',
          title: 'Records written (EMF)',
          description: 'Rows each consumer inserted into silver.prices, per period.',
          width: 8,
          view: 'graph',
          unit: 'count',
          periodSeconds: 60,
          metrics: perConsumer(METRIC.recordsWritten, 'Sum'),
        },
        {
          kind: 'metric',
          id: 'records-total',
          title: 'Records written in the range (EMF)',
          description: 'Total rows per consumer over the whole time range.',
          width: 4,
          view: 'single-value',
          unit: 'count',
          periodSeconds: 60,
          metrics: perConsumer(METRIC.recordsWritten, 'Sum'),
        },
        {
          kind: 'metric',
          id: 'records-not-written',
          title: 'Rejected, duplicate and failed records (EMF)',
          description:
            'Rejected: bad data kept in silver.rejected_events. Duplicates: redeliveries skipped by the unique key. Failed: handed back to Lambda for a retry.',
          width: 12,
          view: 'graph',
          unit: 'count',
          periodSeconds: 60,
          metrics: [
            ...perConsumer(METRIC.recordsRejected, 'Sum', ' rejected'),
            ...perConsumer(METRIC.duplicatesSkipped, 'Sum', ' duplicates'),
            ...perConsumer(METRIC.recordsFailed, 'Sum', ' failed'),
          ],
        },
        {
          kind: 'data',
          id: 'records-per-minute',
          title: 'Records per minute per consumer (SQL)',
          description: 'Rows per UTC minute of processed_at, zero-filled.',
          width: 12,
          query: 'reports/per_minute.sql',
          view: {
            type: 'timeseries',
            unit: 'count',
            shape: { wide: { time: 'minute', columns: ['realtime', 'batch'] } },
            bucketed: false,
          },
          cloudwatch: {
            logsInsights: {
              services: ['realtime-consumer', 'batch-consumer'],
              query: [
                "filter message = 'records processed'",
                'stats sum(written) as records by bin(1m), consumer',
              ],
              view: 'line',
            },
            note: 'Summed from the consumers’ “records processed” log lines, by the minute each invocation logged (within milliseconds of processed_at).',
          },
        },
        {
          kind: 'data',
          id: 'records-by-symbol',
          title: 'Records by symbol',
          description:
            'Rows per symbol and consumer in the range, with the price range they cover.',
          width: 12,
          query: 'reports/per_symbol.sql',
          view: {
            type: 'table',
            columns: [
              { key: 'symbol', label: 'symbol', format: 'text' },
              { key: 'consumer', label: 'consumer', format: 'text' },
              { key: 'records', label: 'records', format: 'int', bar: true },
              { key: 'min_price', label: 'min', format: 'price' },
              { key: 'max_price', label: 'max', format: 'price' },
            ],
          },
        },
      ],
    },
    {
      title: 'Prices',
      widgets: [
        {
          kind: 'data',
          id: 'price-over-time',
          title: 'Price per symbol over time, per consumer',
          description:
            'Average price per bucket of event time, one chart per symbol; the two consumers should draw the same line.',
          width: 24,
          query: 'dashboard/price_over_time.sql',
          view: {
            type: 'timeseries',
            unit: 'USD',
            shape: { long: { time: 't', series: 'series', value: 'value', panel: 'panel' } },
            bucketed: true,
          },
        },
      ],
    },
    {
      title: 'Producer',
      widgets: [
        {
          kind: 'metric',
          id: 'fetch-success',
          title: 'Fetch successes per symbol (EMF)',
          description: 'Prices fetch-prices fetched and put on the stream, per symbol.',
          width: 8,
          view: 'graph',
          unit: 'count',
          periodSeconds: 60,
          metrics: [
            {
              source: 'app',
              metric: METRIC.fetchSuccess,
              stat: 'Sum',
              dimensions: { service: 'fetch-prices' },
              splitBy: 'symbol',
              label: '',
            },
          ],
        },
        {
          kind: 'metric',
          id: 'fetch-failure',
          title: 'Fetch failures per symbol (EMF)',
          description:
            'Ticks a symbol was skipped (source error) or not put on the stream (Kinesis kept failing).',
          width: 8,
          view: 'graph',
          unit: 'count',
          periodSeconds: 60,
          metrics: [
            {
              source: 'app',
              metric: METRIC.fetchFailure,
              stat: 'Sum',
              dimensions: { service: 'fetch-prices' },
              splitBy: 'symbol',
              label: '',
            },
          ],
        },
        {
          kind: 'metric',
          id: 'kinesis-incoming',
          title: 'Kinesis incoming records',
          description: 'Records put on the prices stream.',
          width: 8,
          view: 'graph',
          unit: 'count',
          periodSeconds: 60,
          metrics: [
            {
              source: 'aws',
              namespace: 'AWS/Kinesis',
              metric: 'IncomingRecords',
              stat: 'Sum',
              resource: { stream: 'prices' },
              label: 'prices',
            },
          ],
          local: {
            metrics: [
              {
                source: 'app',
                metric: METRIC.fetchSuccess,
                stat: 'Sum',
                dimensions: { service: 'fetch-prices' },
                label: 'put by fetch-prices',
              },
            ],
            note: 'kinesis-local publishes no metrics: this is FetchSuccess, the records fetch-prices put.',
          },
        },
      ],
    },
    {
      title: 'Functions',
      widgets: [
        {
          kind: 'metric',
          id: 'lambda-duration',
          title: 'Duration p95 per function',
          description: 'AWS/Lambda Duration, p95 per period.',
          width: 12,
          view: 'graph',
          unit: 'ms',
          periodSeconds: 60,
          metrics: perFunction('Duration', 'p95'),
          local: {
            metrics: localPerService('Duration', 'p95'),
            note: 'Measured by the local Lambda host around each invocation.',
          },
        },
        {
          kind: 'metric',
          id: 'lambda-errors',
          title: 'Errors per function',
          description: 'AWS/Lambda Errors: invocations that ended in a function error.',
          width: 12,
          view: 'graph',
          unit: 'count',
          periodSeconds: 60,
          metrics: perFunction('Errors', 'Sum'),
          local: {
            metrics: localPerService('Errors', 'Sum'),
            note: 'Counted by the local Lambda host.',
          },
        },
        {
          kind: 'metric',
          id: 'lambda-throttles',
          title: 'Throttles per function',
          description: 'AWS/Lambda Throttles: invocations refused for lack of concurrency.',
          width: 8,
          view: 'graph',
          unit: 'count',
          periodSeconds: 60,
          metrics: perFunction('Throttles', 'Sum'),
          local: {
            unavailable:
              'Not measured locally: the local runtime queues invocations beyond a reserved concurrency instead of throttling them.',
          },
        },
        {
          kind: 'metric',
          id: 'iterator-age',
          title: 'Iterator age per consumer',
          description:
            'AWS/Lambda IteratorAge (maximum): how far behind the stream each consumer reads.',
          width: 8,
          view: 'graph',
          unit: 'ms',
          periodSeconds: 60,
          metrics: (['realtime-consumer', 'batch-consumer'] as const).map((service) =>
            lambdaMetric('IteratorAge', 'Maximum', { function: service }, service),
          ),
          local: {
            query: 'dashboard/iterator_age.sql',
            view: { type: 'timeseries', unit: 'ms', shape: LONG_SERIES, bucketed: true },
            note: 'From silver.prices: the largest received_at − ingested_at (Kinesis arrival to handler start) per bucket.',
          },
        },
        {
          kind: 'metric',
          id: 'dead-letters',
          title: 'Records sent to the dead-letter bucket',
          description:
            'OnFailureDestinationDeliveredEventCount of each consumer’s event source mapping: records Lambda gave up on and wrote to S3.',
          width: 8,
          view: 'graph',
          unit: 'count',
          periodSeconds: 60,
          metrics: (['realtime', 'batch'] as const).map((consumer) =>
            lambdaMetric(
              'OnFailureDestinationDeliveredEventCount',
              'Sum',
              { mapping: consumer },
              `${consumer} dead letters`,
            ),
          ),
          local: {
            metrics: localPerService('DeadLetterBatches', 'Sum'),
            note: 'Batches the local event source mappings wrote to local_runtime.dead_letters.',
          },
        },
        {
          kind: 'metric',
          id: 'timestream-mirror',
          title: 'Timestream mirror (EMF)',
          description:
            'Records the realtime consumer mirrored into Timestream, rejected by it, or could not write (throttling, errors).',
          width: 12,
          view: 'graph',
          unit: 'count',
          periodSeconds: 60,
          onlyWhen: 'timestream',
          metrics: (
            [
              [METRIC.timestreamRecordsWritten, 'written'],
              [METRIC.timestreamRecordsRejected, 'rejected'],
              [METRIC.timestreamWriteFailures, 'failed'],
            ] as const
          ).map(
            ([metric, label]): AppMetric => ({
              source: 'app',
              metric,
              stat: 'Sum',
              dimensions: { service: 'realtime-consumer', consumer: 'realtime' },
              label,
            }),
          ),
        },
      ],
    },
    {
      title: 'Gold',
      widgets: [
        {
          kind: 'metric',
          id: 'rollup-buckets',
          title: 'Rollup buckets recomputed (EMF)',
          description: 'Gold buckets each rollup run recomputed from silver, per granularity.',
          width: 6,
          view: 'graph',
          unit: 'count',
          periodSeconds: 300,
          metrics: (['10m', '1h'] as const).map(
            (granularity): AppMetric => ({
              source: 'app',
              metric: METRIC.rollupBuckets,
              stat: 'Sum',
              dimensions: { service: 'rollup', granularity },
              label: granularity,
            }),
          ),
        },
        {
          kind: 'metric',
          id: 'rollup-duration',
          title: 'Rollup duration (EMF)',
          description: 'Longest rollup run per period, per granularity.',
          width: 6,
          view: 'graph',
          unit: 'ms',
          periodSeconds: 300,
          metrics: (['10m', '1h'] as const).map(
            (granularity): AppMetric => ({
              source: 'app',
              metric: METRIC.rollupDuration,
              stat: 'Maximum',
              dimensions: { service: 'rollup', granularity },
              label: granularity,
            }),
          ),
        },
        {
          kind: 'data',
          id: 'gold-hourly',
          title: 'Gold hourly average and change',
          description:
            'The latest hour of each symbol in gold_hourly_metrics: average price and its change against the previous hour’s average.',
          width: 12,
          query: 'dashboard/gold_hourly.sql',
          view: {
            type: 'table',
            columns: [
              { key: 'symbol', label: 'symbol', format: 'text' },
              { key: 'hour', label: 'hour (UTC)', format: 'time' },
              { key: 'avg_price', label: 'avg price', format: 'price' },
              { key: 'change_pct', label: 'change', format: 'pct' },
              { key: 'record_count', label: 'rows', format: 'int' },
            ],
          },
        },
        {
          kind: 'data',
          id: 'gold-hourly-change',
          title: 'Gold hourly change % per symbol',
          description: 'price_change_percent of gold_hourly_metrics per hour.',
          width: 24,
          query: 'dashboard/gold_hourly_change.sql',
          view: { type: 'timeseries', unit: '%', shape: LONG_SERIES, bucketed: false },
        },
      ],
    },
  ],
};

/** Every widget, in page order. */
export function allWidgets(definition: DashboardDefinition = DASHBOARD): Widget[] {
  return definition.sections.flatMap((section) => [...section.widgets]);
}

/** The widget with this id, or undefined. */
export function findWidget(id: string, definition: DashboardDefinition = DASHBOARD) {
  return allWidgets(definition).find((widget) => widget.id === id);
}

const CONSUMER_LAG_MS: Record<ConsumerName, number> = {
  // The per-record consumer is read about once a second: a minute behind is far behind.
  realtime: 60_000,
  // The batched one waits for its 15 s window on top.
  batch: 120_000,
};

/** The symbol fetches fetch-prices attempted: the "ran once" alarm's metric and the failure ratio's whole. */
const FETCHES_ATTEMPTED: AppMetric = {
  source: 'app',
  metric: METRIC.fetchesAttempted,
  stat: 'Sum',
  dimensions: { service: 'fetch-prices' },
  label: 'attempted',
};

/**
 * "The pipeline has run": fetch-prices attempted at least one fetch in one of
 * the last 24 hours (FetchesAttempted, published every invocation, even when
 * every fetch failed). 24 one-hour periods is as far back as an alarm looks.
 * It notifies nobody; the alarms `armedBy` it do.
 */
export const PIPELINE_RAN: AlarmDefinition = {
  id: 'pipeline-ran',
  title: 'The pipeline has run in the last 24 hours',
  description:
    'FetchesAttempted of fetch-prices above 0 in any of the last 24 hours: arms the alarms that treat missing data as breaching. Notifies nobody itself.',
  value: {
    metric: FETCHES_ATTEMPTED,
  },
  comparison: 'above',
  threshold: 0,
  unit: 'count',
  periodSeconds: 3600,
  evaluationPeriods: 24,
  datapointsToAlarm: 1,
  missingData: 'notBreaching',
};

/** Every alarm of the pipeline. */
export const ALARMS: readonly AlarmDefinition[] = [
  ...CONSUMERS.map(
    ({ consumer, service }): AlarmDefinition => ({
      id: `iterator-age-${consumer}`,
      title: `${service} is falling behind the stream`,
      description: `IteratorAge (maximum) of ${service} above ${CONSUMER_LAG_MS[consumer] / 1000} s for 5 minutes: records wait longer than they should; look at its errors, duration and the database.`,
      value: { metric: lambdaMetric('IteratorAge', 'Maximum', { function: service }, service) },
      comparison: 'above',
      threshold: CONSUMER_LAG_MS[consumer],
      unit: 'ms',
      periodSeconds: 60,
      evaluationPeriods: 5,
      missingData: 'notBreaching',
      local: { query: 'dashboard/iterator_age.sql', series: service },
    }),
  ),
  ...CONSUMERS.map(
    ({ consumer, service }): AlarmDefinition => ({
      id: `dead-letters-${consumer}`,
      title: `${service} gave records up to the dead-letter bucket`,
      description: `Records the ${consumer} mapping wrote to the dead-letter bucket (OnFailureDestinationDeliveredEventCount > 0): they are not in silver.prices; redrive them once the cause is fixed.`,
      value: {
        metric: lambdaMetric(
          'OnFailureDestinationDeliveredEventCount',
          'Sum',
          { mapping: consumer },
          `${consumer} dead letters`,
        ),
      },
      comparison: 'above',
      threshold: 0,
      unit: 'count',
      periodSeconds: 60,
      evaluationPeriods: 1,
      missingData: 'notBreaching',
      local: { runtime: 'DeadLetterBatches', service, stat: 'Sum' },
    }),
  ),
  ...SERVICES.map(
    (service): AlarmDefinition => ({
      id: `errors-${service}`,
      title: `${service} fails`,
      description: `Invocations of ${service} that ended in an error (AWS/Lambda Errors > 0); its log group says why.`,
      value: { metric: lambdaMetric('Errors', 'Sum', { function: service }, service) },
      comparison: 'above',
      threshold: 0,
      unit: 'count',
      periodSeconds: 300,
      evaluationPeriods: 1,
      missingData: 'notBreaching',
      local: { runtime: 'Errors', service, stat: 'Sum' },
    }),
  ),
  ...(['10m', '1h'] as const).map(
    (granularity): AlarmDefinition => ({
      id: `rollup-failures-${granularity}`,
      title: `The ${granularity} gold rollup fails`,
      description: `RollupFailures > 0 for granularity ${granularity}: gold stops advancing (its high-water mark stays), the next successful run catches up.`,
      value: {
        metric: {
          source: 'app',
          metric: METRIC.rollupFailures,
          stat: 'Sum',
          dimensions: { service: 'rollup', granularity },
          label: granularity,
        },
      },
      comparison: 'above',
      threshold: 0,
      unit: 'count',
      periodSeconds: 900,
      evaluationPeriods: 1,
      missingData: 'notBreaching',
    }),
  ),
  {
    id: 'fetch-failure-ratio',
    title: 'Most prices fail to be fetched',
    description:
      'More than half of the symbol fetches (FetchesFailed ÷ FetchesAttempted) failed for 10 minutes: Coinbase is down, rate-limiting, or the stream refuses records.',
    value: {
      percent: {
        part: {
          source: 'app',
          metric: METRIC.fetchesFailed,
          stat: 'Sum',
          dimensions: { service: 'fetch-prices' },
          label: 'failed',
        },
        whole: FETCHES_ATTEMPTED,
      },
    },
    comparison: 'above',
    threshold: 50,
    unit: '%',
    periodSeconds: 300,
    evaluationPeriods: 2,
    missingData: 'notBreaching',
  },
  ...CONSUMERS.map(
    ({ consumer, service }): AlarmDefinition => ({
      id: `no-rows-${consumer}`,
      title: `${service} wrote no rows for 10 minutes`,
      description: `RecordsWritten of the ${consumer} consumer below 1 in 10 minutes, or no data at all (missing data breaches): nothing is arriving, or nothing lands. Armed once the pipeline has run (fetch-prices attempted a fetch within 24 hours), so a fresh deploy stays quiet until its first fetch.`,
      value: {
        metric: {
          source: 'app',
          metric: METRIC.recordsWritten,
          stat: 'Sum',
          dimensions: { service, consumer },
          label: consumer,
        },
      },
      comparison: 'below',
      threshold: 1,
      unit: 'count',
      periodSeconds: 600,
      evaluationPeriods: 1,
      missingData: 'breaching',
      armedBy: 'pipeline-ran',
    }),
  ),
];
