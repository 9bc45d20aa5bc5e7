/**
 * The metric contract: what the CloudWatch dashboard and alarms of a
 * synthesized template will query, checked against what the functions
 * really print. A widget or alarm that watches a metric nobody emits (a
 * dimension too many, a value spelled differently) draws nothing on AWS and
 * never fires; this finds it from a local run.
 */

type Json = unknown;

export interface WatchedMetric {
  /** Where it is watched: `widget "<title>"` or `alarm <logical id>`. */
  where: string;
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  stat: string;
}

export interface LogsQuery {
  where: string;
  /** Log group tokens, as the template has them. */
  logGroups: string[];
  query: string;
}

/** An EMF document as Powertools prints it. */
export interface EmfDocument {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit?: string }>;
    }>;
  };
  [key: string]: unknown;
}

/** Statistics CloudWatch computes from EMF values (percentiles from the values themselves). */
const STATS = /^(Sum|Average|Minimum|Maximum|SampleCount|p\d{1,2}(\.\d+)?)$/;

/** A token of the template as text: `@@LogicalId@@` or `@@LogicalId.Attribute@@`. */
function tokenText(part: Json): string {
  if (typeof part === 'string') return part;
  const token = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (token.Ref) return `@@${token.Ref}@@`;
  if (token['Fn::GetAtt']) return `@@${token['Fn::GetAtt'].join('.')}@@`;
  throw new Error(`unexpected token ${JSON.stringify(part)}`);
}

/** The dashboard body of a template, parsed. */
export function dashboardWidgets(template: Json): Array<Record<string, unknown>> {
  const resources = (
    template as { Resources: Record<string, { Type: string; Properties: Record<string, Json> }> }
  ).Resources;
  const dashboard = Object.values(resources).find((r) => r.Type === 'AWS::CloudWatch::Dashboard');
  if (!dashboard) throw new Error('the template has no dashboard');
  const body = dashboard.Properties.DashboardBody as string | { 'Fn::Join': [string, Json[]] };
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map(tokenText).join('');
  return (JSON.parse(text) as { widgets: Array<Record<string, unknown>> }).widgets;
}

/** Every metric a dashboard widget or an alarm of the template watches. */
export function watchedMetrics(template: Json): WatchedMetric[] {
  const watched: WatchedMetric[] = [];
  for (const widget of dashboardWidgets(template)) {
    const properties = widget.properties as {
      title?: string;
      metrics?: Array<Array<string | Record<string, unknown>>>;
      stat?: string;
    };
    for (const line of properties.metrics ?? []) {
      const options = (typeof line.at(-1) === 'object' ? line.at(-1) : {}) as { stat?: string };
      const [namespace, name, ...pairs] = line.filter((x): x is string => typeof x === 'string');
      const dimensions: Record<string, string> = {};
      for (let i = 0; i < pairs.length; i += 2)
        dimensions[pairs[i] as string] = pairs[i + 1] as string;
      watched.push({
        where: `widget "${properties.title}"`,
        namespace: namespace as string,
        name: name as string,
        dimensions,
        stat: options.stat ?? properties.stat ?? 'Average',
      });
    }
  }
  const resources = (
    template as { Resources: Record<string, { Type: string; Properties: Record<string, Json> }> }
  ).Resources;
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::CloudWatch::Alarm') continue;
    const p = resource.Properties as {
      Namespace?: string;
      MetricName?: string;
      Dimensions?: Array<{ Name: string; Value: Json }>;
      Statistic?: string;
      ExtendedStatistic?: string;
      Metrics?: Array<{
        MetricStat?: {
          Metric: {
            Namespace: string;
            MetricName: string;
            Dimensions?: Array<{ Name: string; Value: Json }>;
          };
          Stat: string;
        };
      }>;
    };
    const stats = p.Metrics
      ? p.Metrics.flatMap((m) =>
          m.MetricStat ? [{ metric: m.MetricStat.Metric, stat: m.MetricStat.Stat }] : [],
        )
      : [
          {
            metric: {
              Namespace: p.Namespace as string,
              MetricName: p.MetricName as string,
              Dimensions: p.Dimensions,
            },
            stat: (p.Statistic ?? p.ExtendedStatistic) as string,
          },
        ];
    for (const { metric, stat } of stats) {
      watched.push({
        where: `alarm ${id}`,
        namespace: metric.Namespace,
        name: metric.MetricName,
        dimensions: Object.fromEntries(
          (metric.Dimensions ?? []).map((d) => [d.Name, tokenText(d.Value)]),
        ),
        stat,
      });
    }
  }
  return watched;
}

/** The Logs Insights queries of the dashboard's log widgets. */
export function logsQueries(template: Json): LogsQuery[] {
  return dashboardWidgets(template)
    .filter((w) => w.type === 'log')
    .map((w) => {
      const { title, query } = w.properties as { title: string; query: string };
      const logGroups = [...query.matchAll(/SOURCE '([^']+)'/g)].map((m) => m[1] as string);
      return {
        where: `widget "${title}"`,
        logGroups,
        query: query.replace(/SOURCE '[^']+'\s*\|?\s*/g, ''),
      };
    });
}

const KEYWORDS = new Set([
  'fields',
  'filter',
  'stats',
  'sort',
  'limit',
  'parse',
  'display',
  'dedup',
  'by',
  'as',
  'asc',
  'desc',
  'and',
  'or',
  'not',
  'in',
  'like',
  'sum',
  'avg',
  'count',
  'min',
  'max',
  'pct',
  'stddev',
  'bin',
  'earliest',
  'latest',
  'count_distinct',
  'ispresent',
  'isempty',
  'isblank',
  'abs',
  'ceil',
  'floor',
]);

/** The log fields a Logs Insights query reads: identifiers that are not keywords, functions, aliases, literals or `@` fields. */
export function queryFields(query: string): string[] {
  const withoutStrings = query.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, ' ');
  const aliases = new Set(
    [...withoutStrings.matchAll(/\bas\s+([A-Za-z_][\w.]*)/g)].map((m) => m[1]),
  );
  const fields = new Set<string>();
  for (const match of withoutStrings.matchAll(/(@?)\b([A-Za-z_][\w.]*)\b(\s*\()?/g)) {
    const [, at, name, call] = match;
    if (at || call || !name) continue;
    if (KEYWORDS.has(name.toLowerCase()) || aliases.has(name) || /^\d/.test(name)) continue;
    // bin(1m): the unit after a number.
    if (/^\d+[a-z]+$/.test(name)) continue;
    fields.add(name);
  }
  return [...fields];
}

/** The EMF documents among a function's output lines. */
export function emfDocuments(lines: readonly string[]): EmfDocument[] {
  return lines.flatMap((line) => {
    if (!line.includes('"_aws"')) return [];
    try {
      const doc = JSON.parse(line) as EmfDocument;
      return doc._aws?.CloudWatchMetrics ? [doc] : [];
    } catch {
      return [];
    }
  });
}

/** Where a watched metric is emitted with exactly its dimensions; otherwise why not. */
export function appMetricViolations(
  watched: readonly WatchedMetric[],
  documents: readonly EmfDocument[],
  namespace: string,
): string[] {
  const problems: string[] = [];
  for (const metric of watched.filter((m) => m.namespace === namespace)) {
    const describe = `${metric.where}: ${metric.namespace} ${metric.name} ${JSON.stringify(metric.dimensions)} ${metric.stat}`;
    if (!STATS.test(metric.stat)) {
      problems.push(`${describe}: CloudWatch has no statistic ${metric.stat}`);
      continue;
    }
    const wanted = Object.keys(metric.dimensions).sort().join(',');
    const emitted = documents.some((doc) =>
      doc._aws.CloudWatchMetrics.some(
        (directive) =>
          directive.Namespace === metric.namespace &&
          directive.Metrics.some((m) => m.Name === metric.name) &&
          directive.Dimensions.some(
            (set) =>
              [...set].sort().join(',') === wanted &&
              set.every((key) => String(doc[key]) === metric.dimensions[key]),
          ) &&
          isNumberOrNumbers(doc[metric.name]),
      ),
    );
    if (!emitted) {
      const sameName = documents
        .flatMap((doc) =>
          doc._aws.CloudWatchMetrics.filter((d) =>
            d.Metrics.some((m) => m.Name === metric.name),
          ).flatMap((d) =>
            d.Dimensions.map((set) =>
              JSON.stringify(Object.fromEntries(set.map((k) => [k, doc[k]]))),
            ),
          ),
        )
        .filter((v, i, all) => all.indexOf(v) === i);
      problems.push(
        `${describe}: not emitted with exactly these dimensions${sameName.length ? `; emitted with ${sameName.join(' ')}` : '; never emitted'}`,
      );
    }
  }
  return problems;
}

/** The dimensions AWS publishes its metrics with, by namespace. */
const AWS_DIMENSIONS: Record<string, readonly string[][]> = {
  'AWS/Lambda': [['FunctionName'], ['EventSourceMappingUUID']],
  'AWS/Kinesis': [['StreamName']],
};

export function awsMetricViolations(
  watched: readonly WatchedMetric[],
  appNamespace: string,
): string[] {
  return watched
    .filter((m) => m.namespace !== appNamespace)
    .flatMap((m) => {
      const sets = AWS_DIMENSIONS[m.namespace];
      const keys = Object.keys(m.dimensions).sort().join(',');
      if (!sets)
        return [
          `${m.where}: ${m.namespace} is neither the app's namespace nor one AWS publishes here`,
        ];
      return sets.some((set) => set.join(',') === keys)
        ? []
        : [
            `${m.where}: ${m.namespace} ${m.name} has dimensions ${keys}, AWS publishes ${sets.map((s) => s.join('+')).join(' or ')}`,
          ];
    });
}

/** Every field of every Logs Insights query in a JSON line of the functions whose log groups it reads. */
export function logFieldViolations(
  queries: readonly LogsQuery[],
  linesByLogGroup: (logGroup: string) => readonly string[],
): string[] {
  const problems: string[] = [];
  for (const query of queries) {
    const records = query.logGroups.flatMap((group) =>
      linesByLogGroup(group).flatMap((line) => {
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          return typeof parsed === 'object' && parsed !== null && !('_aws' in parsed)
            ? [parsed]
            : [];
        } catch {
          return [];
        }
      }),
    );
    if (records.length === 0) {
      problems.push(`${query.where}: no JSON log line from ${query.logGroups.join(', ')}`);
      continue;
    }
    for (const field of queryFields(query.query)) {
      if (!records.some((r) => field in r)) {
        problems.push(
          `${query.where}: field ${field} is in no log line of ${query.logGroups.join(', ')}`,
        );
      }
    }
  }
  return problems;
}

function isNumberOrNumbers(value: unknown): boolean {
  return (
    typeof value === 'number' ||
    (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'number'))
  );
}
