import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SYMBOLS } from '../../cdk/config.ts';
import {
  type AppMetric,
  type AwsMetric,
  allWidgets,
  DASHBOARD,
  type MetricWidget,
} from '../../cdk/dashboard/definition.ts';
import {
  actionsOf,
  EXTERNAL,
  environmentOf,
  projectFunctions,
  resource,
  statementsOf,
  synth,
} from './synth.ts';

interface BodyWidget {
  type: 'metric' | 'text' | 'custom' | 'log' | 'alarm';
  width: number;
  properties: {
    title?: string;
    view?: string;
    markdown?: string;
    metrics?: Array<Array<string | Record<string, unknown>>>;
    endpoint?: string;
    params?: Record<string, unknown>;
    updateOn?: Record<string, boolean>;
    query?: string;
  };
}

/**
 * The DashboardBody, parsed: an Fn::Join of JSON text and tokens, where each
 * token (a Ref, a GetAtt) becomes the text `@@<logical id>[.<attribute>]@@`.
 */
function dashboardBody(template: Template): { name: unknown; widgets: BodyWidget[] } {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const properties = (dashboards[0] as { Properties: Record<string, unknown> }).Properties;
  const body = properties.DashboardBody as { 'Fn::Join': [string, unknown[]] } | string;
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1]
          .map((part) => {
            if (typeof part === 'string') return part;
            const token = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
            if (token.Ref) return `@@${token.Ref}@@`;
            if (token['Fn::GetAtt']) return `@@${token['Fn::GetAtt'].join('.')}@@`;
            throw new Error(`unexpected token ${JSON.stringify(part)}`);
          })
          .join('');
  return { name: properties.DashboardName, widgets: JSON.parse(text).widgets };
}

/** A metric line as the dashboard JSON has it: namespace, name, dimension pairs, options. */
function line(metric: Array<string | Record<string, unknown>>) {
  const options = metric.at(-1) as Record<string, unknown>;
  const [namespace, name, ...pairs] = metric.slice(0, -1) as string[];
  const dimensions: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i] as string] = pairs[i + 1] as string;
  return { namespace, name, dimensions, stat: options.stat, label: options.label };
}

/** What each metric of the definition should look like in the body. */
function expectedLines(
  spec: AppMetric | AwsMetric,
  template: Template,
  namespace: string,
): Array<ReturnType<typeof line>> {
  if (spec.source === 'app') {
    const values = spec.splitBy ? DEFAULT_SYMBOLS : [undefined];
    return values.map((value) => ({
      namespace,
      name: spec.metric,
      dimensions: { ...spec.dimensions, ...(spec.splitBy && value ? { symbol: value } : {}) },
      stat: spec.stat,
      label: [spec.label, value].filter(Boolean).join(' '),
    }));
  }
  const functions = projectFunctions(template);
  const r = spec.resource;
  let dimensions: Record<string, string>;
  if ('function' in r) {
    dimensions = { FunctionName: `@@${functions.get(r.function)?.[0]}@@` };
  } else if ('stream' in r) {
    dimensions = { StreamName: `@@${resource(template, 'AWS::Kinesis::Stream', 'Prices')[0]}@@` };
  } else {
    const consumer = r.mapping === 'realtime' ? 'RealtimeConsumer' : 'BatchConsumer';
    const [mappingId] = Object.entries(
      template.findResources('AWS::Lambda::EventSourceMapping'),
    ).find(
      ([, m]) =>
        JSON.stringify((m as { Properties: { FunctionName: unknown } }).Properties.FunctionName) ===
        JSON.stringify({ Ref: functions.get(`${r.mapping}-consumer`)?.[0] }),
    ) ?? [consumer];
    dimensions = { EventSourceMappingUUID: `@@${mappingId}@@` };
  }
  return [
    {
      namespace: spec.namespace,
      name: spec.metric,
      dimensions,
      stat: spec.stat,
      label: spec.label,
    },
  ];
}

const metricWidgets = allWidgets().filter((w): w is MetricWidget => w.kind === 'metric');

describe('CloudWatch dashboard', () => {
  it('is named after the stack, the stage and the region (dashboard names are global), or by the configuration', () => {
    expect(dashboardBody(synth()).name).toEqual({
      'Fn::Join': ['', ['Pricestream-', { Ref: 'AWS::Region' }]],
    });
    expect(dashboardBody(synth({ stage: 'prod' })).name).toEqual({
      'Fn::Join': ['', ['Pricestream-prod-', { Ref: 'AWS::Region' }]],
    });
    expect(dashboardBody(synth({ dashboardName: 'prices-dev' })).name).toBe('prices-dev');
  });

  it('has every metric widget of the definition, with every metric, statistic and dimension', () => {
    const template = synth();
    const { widgets } = dashboardBody(template);

    for (const widget of metricWidgets.filter((w) => w.onlyWhen !== 'timestream')) {
      const found = widgets.filter(
        (w) => w.type === 'metric' && w.properties.title === widget.title,
      );
      expect(found, widget.id).toHaveLength(1);
      const body = found[0] as BodyWidget;
      expect(body.width).toBe(widget.width);
      expect(body.properties.view).toBe(widget.view === 'graph' ? 'timeSeries' : 'singleValue');
      const lines = (body.properties.metrics ?? []).map(line);
      const expected = widget.metrics.flatMap((m) => expectedLines(m, template, 'Pricestream'));
      expect(lines, widget.id).toEqual(expected);
    }
  });

  it('draws the fetch metrics once per configured symbol, in the configured namespace', () => {
    const template = synth({ symbols: ['BTC-USD', 'ETH-EUR'], metricsNamespace: 'Prices/Dev' });
    const { widgets } = dashboardBody(template);

    const fetch = widgets.find((w) => w.properties.title === 'Fetch successes per symbol (EMF)');
    expect((fetch?.properties.metrics ?? []).map(line)).toEqual([
      {
        namespace: 'Prices/Dev',
        name: 'FetchSuccess',
        dimensions: { service: 'fetch-prices', symbol: 'BTC-USD' },
        stat: 'Sum',
        label: 'BTC-USD',
      },
      {
        namespace: 'Prices/Dev',
        name: 'FetchSuccess',
        dimensions: { service: 'fetch-prices', symbol: 'ETH-EUR' },
        stat: 'Sum',
        label: 'ETH-EUR',
      },
    ]);
  });

  it('draws every widget: its only text is the section titles', () => {
    const { widgets } = dashboardBody(synth());
    const sections = DASHBOARD.sections.map((section) => `## ${section.title}`);

    const texts = widgets.filter((w) => w.type === 'text').map((w) => w.properties.markdown);
    expect(texts).toEqual(sections);
    expect(widgets.filter((w) => w.type !== 'text')).toHaveLength(
      allWidgets().filter((w) => w.kind !== 'metric' || w.onlyWhen !== 'timestream').length,
    );
  });

  it('serves each SQL widget as a custom widget of the reports function, given only the widget id, or as a Logs Insights query', () => {
    const template = synth();
    const { widgets } = dashboardBody(template);
    const [reportsId] = projectFunctions(template).get('reports') ?? [];

    for (const widget of allWidgets()) {
      if (widget.kind !== 'data') continue;
      const found = widgets.filter((w) => w.properties.title === widget.title);
      expect(found, widget.id).toHaveLength(1);
      const body = found[0] as BodyWidget;
      expect(body.width, widget.id).toBe(widget.width);
      if (widget.cloudwatch) {
        expect(body.type, widget.id).toBe('log');
        expect(body.properties.view).toBe('timeSeries');
        const groups = widget.cloudwatch.logsInsights.services.map((service) => {
          const [fnId] = projectFunctions(template).get(service) ?? [];
          const fn = template.toJSON().Resources[fnId as string];
          return `@@${fn.Properties.LoggingConfig.LogGroup.Ref}@@`;
        });
        expect(body.properties.query).toBe(
          `${groups.map((g) => `SOURCE '${g}'`).join(' | ')} | ${widget.cloudwatch.logsInsights.query.join('\n| ')}`,
        );
        continue;
      }
      expect(body).toMatchObject({
        type: 'custom',
        properties: {
          endpoint: `@@${reportsId}.Arn@@`,
          params: { widget: widget.id },
          updateOn: { refresh: true, resize: true, timeRange: true },
        },
      });
    }
  });

  it('shows the Timestream widget only when the mirror is on', () => {
    const title = 'Timestream mirror (EMF)';
    const off = dashboardBody(synth()).widgets.map((w) => w.properties.title);
    const on = dashboardBody(synth({ ...EXTERNAL, timestream: { enabled: true } })).widgets.map(
      (w) => w.properties.title,
    );

    expect(off).not.toContain(title);
    expect(on).toContain(title);
  });
});

describe('Timestream mirror', () => {
  it('is off by default: no variables, no permissions', () => {
    const template = synth();
    const [fnId, fn] = resource(template, 'AWS::Lambda::Function', 'RealtimeConsumer');

    expect(Object.keys(environmentOf(fn)).filter((k) => k.startsWith('TIMESTREAM'))).toEqual([]);
    expect(actionsOf(template, fnId).filter((a) => a.startsWith('timestream:'))).toEqual([]);
  });

  it('when on, names the table to the realtime consumer and lets it write there only', () => {
    const template = synth({
      ...EXTERNAL,
      timestream: {
        enabled: true,
        databaseName: 'prices_db',
        tableName: 'quotes',
        endpoint: 'https://ingest-cell1.timestream.us-east-1.amazonaws.com',
      },
    });
    const [fnId, fn] = resource(template, 'AWS::Lambda::Function', 'RealtimeConsumer');
    const [batchId] = resource(template, 'AWS::Lambda::Function', 'BatchConsumer');

    expect(environmentOf(fn)).toMatchObject({
      TIMESTREAM_DATABASE_NAME: 'prices_db',
      TIMESTREAM_TABLE_NAME: 'quotes',
      TIMESTREAM_ENDPOINT: 'https://ingest-cell1.timestream.us-east-1.amazonaws.com',
    });
    const statements = statementsOf(template, fnId).filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('timestream:')),
    );
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'timestream:WriteRecords',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':timestream:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':database/prices_db/table/quotes',
            ],
          ],
        },
      },
      { Effect: 'Allow', Action: 'timestream:DescribeEndpoints', Resource: '*' },
    ]);
    expect(actionsOf(template, batchId).filter((a) => a.startsWith('timestream:'))).toEqual([]);
  });
});
