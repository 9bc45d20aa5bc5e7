/**
 * The metric contract, on the pipeline run locally from the synthesized
 * stack: every metric the CloudWatch dashboard and alarms of that very
 * template watch (namespace, name, every dimension, statistic) is emitted by
 * the functions with exactly those dimensions, and every field of every Logs
 * Insights query is in the functions' log lines. Then the same check on a
 * dashboard whose widget has one dimension changed, which must fail.
 */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCloudWatchDashboard } from '../../cdk/dashboard/cloudwatch.ts';
import {
  DASHBOARD,
  type DashboardDefinition,
  type MetricWidget,
} from '../../cdk/dashboard/definition.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.ts';
import {
  appMetricViolations,
  awsMetricViolations,
  emfDocuments,
  logFieldViolations,
  logsQueries,
  queryFields,
  watchedMetrics,
} from '../support/metric-contract.ts';
import { waitFor } from '../support/wait.ts';

const NAMESPACE = 'Pricestream';

let runtime: LocalRuntime;
let workDir: string;
let template: Record<string, unknown>;
/** Output lines per function logical id. */
const lines = new Map<string, string[]>();

const allLines = () => [...lines.values()].flat();

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'pricestream-contract-'));
  await chmod(workDir, 0o755); // as root, PostgreSQL runs as the postgres user
  runtime = await startLocalRuntime({
    cdkOut: path.join(workDir, 'cdk.out'),
    dataDir: path.join(workDir, 'data'),
    postgresPort: Number(process.env.PRICESTREAM_E2E_PG_PORT ?? 54359),
    kinesisPort: Number(process.env.PRICESTREAM_E2E_KINESIS_PORT ?? 4598),
    databaseUrl: undefined,
    kinesisEndpoint: undefined,
    env: {},
    // Each function is run once, by the test: no schedules.
    schedules: false,
    // One fetch invocation of 10 s (two ticks), from the simulated market.
    functionEnv: {
      FetchPrices: {
        PRICE_SOURCE: 'sim',
        SCHEDULE_PERIOD_SECONDS: '10',
        POLL_INTERVAL_SECONDS: '5',
      },
    },
    listeners: {
      log: (line) => {
        const list = lines.get(line.function) ?? [];
        list.push(line.line);
        lines.set(line.function, list);
      },
    },
  });
  template = JSON.parse(
    await readFile(path.join(runtime.cdkOut, `${runtime.stackName}.template.json`), 'utf8'),
  );

  await runtime.invoke('FetchPrices', {
    time: new Date().toISOString(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
  });
  for (const granularity of ['10m', '1h']) await runtime.invoke('Rollup', { granularity });
  // Both consumers, the batch one after its 15 s window.
  await waitFor(
    async () => emfDocuments(allLines()).map((doc) => doc.service),
    (services) => services.includes('realtime-consumer') && services.includes('batch-consumer'),
    { timeoutMs: 90_000, what: 'metrics from both consumers' },
  );
});

afterAll(async () => {
  await runtime?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** The log lines of the function whose log group the template token names. */
function linesOfLogGroup(token: string): string[] {
  const logicalId = /^@@(\w+)@@$/.exec(token)?.[1];
  const resources = template.Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const fn = Object.entries(resources).find(
    ([, r]) =>
      r.Type === 'AWS::Lambda::Function' &&
      (r.Properties.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref ===
        logicalId,
  );
  const short = runtime.functions.find((f) => f.logicalId === fn?.[0])?.name;
  return short ? (lines.get(short) ?? []) : [];
}

describe('the metric contract', () => {
  it('every app metric a widget or alarm of the template watches is emitted with exactly its dimensions', () => {
    const watched = watchedMetrics(template);
    const app = watched.filter((m) => m.namespace === NAMESPACE);

    // The dashboard and alarms watch the consumers, fetch-prices and the rollup.
    expect(new Set(app.map((m) => m.dimensions.service))).toEqual(
      new Set(['realtime-consumer', 'batch-consumer', 'fetch-prices', 'rollup']),
    );
    expect(appMetricViolations(watched, emfDocuments(allLines()), NAMESPACE)).toEqual([]);
  });

  it('every AWS metric is one AWS publishes, with its dimensions', () => {
    expect(awsMetricViolations(watchedMetrics(template), NAMESPACE)).toEqual([]);
  });

  it('every field of every Logs Insights query is in the log lines of the functions it reads', () => {
    const queries = logsQueries(template);

    expect(queries.length).toBeGreaterThan(0);
    expect(queryFields(queries[0]?.query ?? '')).toEqual(['message', 'written', 'consumer']);
    expect(logFieldViolations(queries, linesOfLogGroup)).toEqual([]);
  });

  it('fails when a widget’s dimension is changed', () => {
    // The same dashboard, but "End-to-end latency" keyed by symbol instead of consumer.
    const changed: DashboardDefinition = {
      ...DASHBOARD,
      sections: DASHBOARD.sections.map((section) => ({
        ...section,
        widgets: section.widgets.map((widget) =>
          widget.id !== 'e2e-latency'
            ? widget
            : {
                ...(widget as MetricWidget),
                metrics: (widget as MetricWidget).metrics.map((m) =>
                  m.source === 'app'
                    ? {
                        ...m,
                        dimensions: { service: m.dimensions.service, symbol: 'BTC-USD' } as never,
                      }
                    : m,
                ),
              },
        ),
      })),
    };
    const stack = new Stack(new App(), 'Changed');
    renderCloudWatchDashboard(
      stack,
      'Dashboard',
      'changed',
      {
        namespace: NAMESPACE,
        functionNames: {},
        streamName: 'prices',
        mappingIds: { realtime: 'r', batch: 'b' },
        symbols: ['BTC-USD'],
        timestreamEnabled: false,
        reportsFunction: { functionArn: 'arn:aws:lambda:us-east-1:0:function:reports' } as never,
        logGroups: { 'realtime-consumer': 'r', 'batch-consumer': 'b' },
      },
      changed,
    );

    const problems = appMetricViolations(
      watchedMetrics(Template.fromStack(stack).toJSON()),
      emfDocuments(allLines()),
      NAMESPACE,
    );

    // p50 and p95 of each consumer: four lines that would draw nothing on CloudWatch.
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(
      /^widget "End-to-end latency \(EMF\)": Pricestream EndToEndLatency \{"service":"realtime-consumer","symbol":"BTC-USD"\} p50: not emitted with exactly these dimensions; emitted with .*\{"service":"realtime-consumer","consumer":"realtime"\}/,
    );
  });
});
