/**
 * Reads CloudWatch Embedded Metric Format documents out of function log
 * lines, as CloudWatch Logs does: a JSON object whose `_aws` member holds
 * `Timestamp` (epoch ms) and `CloudWatchMetrics` directives, each naming a
 * namespace, dimension sets and metrics whose values are root members.
 */

/** One value of one metric. */
export interface MetricPoint {
  time: Date;
  namespace: string;
  metric: string;
  unit: string | undefined;
  value: number;
  /** Every dimension any of the directive's dimension sets names, with its value. */
  dimensions: Record<string, string>;
}

export type EmfParse =
  /** Not an EMF document at all: an ordinary log line. */
  | { kind: 'not-emf' }
  | { kind: 'emf'; points: MetricPoint[]; warnings: string[] }
  /** It says it is EMF (has `_aws`) but CloudWatch would not take it. */
  | { kind: 'malformed'; reason: string };

const MAX_VALUES_PER_METRIC = 100;

export function parseEmfLine(line: string): EmfParse {
  const text = line.trim();
  if (!text.startsWith('{') || !text.includes('"_aws"')) return { kind: 'not-emf' };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { kind: 'malformed', reason: `not valid JSON (${(error as Error).message})` };
  }
  if (!isObject(doc)) return { kind: 'not-emf' };
  const aws = doc._aws;
  if (aws === undefined) return { kind: 'not-emf' };
  if (!isObject(aws)) return { kind: 'malformed', reason: '_aws is not an object' };
  if (typeof aws.Timestamp !== 'number' || !Number.isFinite(aws.Timestamp)) {
    return { kind: 'malformed', reason: '_aws.Timestamp is not a number of epoch milliseconds' };
  }
  const time = new Date(aws.Timestamp);
  if (Number.isNaN(time.getTime())) {
    return { kind: 'malformed', reason: '_aws.Timestamp is out of range' };
  }
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives) || directives.length === 0) {
    return { kind: 'malformed', reason: '_aws.CloudWatchMetrics is not a non-empty array' };
  }

  const points: MetricPoint[] = [];
  const warnings: string[] = [];
  for (const [i, directive] of directives.entries()) {
    const at = `_aws.CloudWatchMetrics[${i}]`;
    if (!isObject(directive)) return { kind: 'malformed', reason: `${at} is not an object` };
    const { Namespace, Dimensions, Metrics } = directive;
    if (typeof Namespace !== 'string' || Namespace === '') {
      return { kind: 'malformed', reason: `${at}.Namespace is missing` };
    }
    if (!Array.isArray(Dimensions) || !Dimensions.every(isStringArray)) {
      return { kind: 'malformed', reason: `${at}.Dimensions is not an array of dimension sets` };
    }
    if (!Array.isArray(Metrics)) {
      return { kind: 'malformed', reason: `${at}.Metrics is not an array` };
    }
    const dimensions: Record<string, string> = {};
    for (const name of new Set(Dimensions.flat())) {
      const value = doc[name];
      if (typeof value !== 'string') {
        return {
          kind: 'malformed',
          reason: `dimension "${name}" has no string value in the document`,
        };
      }
      dimensions[name] = value;
    }
    for (const definition of Metrics) {
      if (!isObject(definition) || typeof definition.Name !== 'string') {
        return { kind: 'malformed', reason: `${at}.Metrics has an entry without a Name` };
      }
      const name = definition.Name;
      const unit = typeof definition.Unit === 'string' ? definition.Unit : undefined;
      const raw = doc[name];
      const values = Array.isArray(raw) ? raw : [raw];
      if (raw === undefined || values.length === 0) {
        // CloudWatch drops such a metric and keeps the rest of the document.
        warnings.push(`metric "${name}" has no value`);
        continue;
      }
      if (!values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        warnings.push(`metric "${name}" has a value that is not a finite number`);
        continue;
      }
      if (values.length > MAX_VALUES_PER_METRIC) {
        warnings.push(`metric "${name}" has more than ${MAX_VALUES_PER_METRIC} values`);
      }
      for (const value of values as number[]) {
        points.push({ time, namespace: Namespace, metric: name, unit, value, dimensions });
      }
    }
  }
  return { kind: 'emf', points, warnings };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
