/**
 * The alarms of the definition (ALARMS), evaluated locally: each alarm's
 * value per period over its last `evaluationPeriods` periods, from what the
 * local runtime measures, against the same threshold and missing-data rule
 * as the CloudWatch alarm. ALARM when every one of those periods breaches.
 */
import {
  ALARMS,
  type AlarmDefinition,
  type AppMetric,
  type Column,
  PIPELINE_RAN,
} from '../../cdk/dashboard/definition.ts';
import { readSql } from '../../lambdas/shared/sql.ts';
import { LOCAL_NAMESPACE } from './collector.ts';
import { metricSeries, type Queryable, statValue } from './metric-store.ts';

export type AlarmStateValue = 'OK' | 'ALARM';

export interface AlarmState {
  id: string;
  title: string;
  state: AlarmStateValue;
  /** The latest period's value, or null when it had no data. */
  value: number | null;
  /** `> 60000 ms`, `< 1 count`. */
  threshold: string;
  /** The periods looked at, oldest first: value or null (no data). */
  periods: Array<number | null>;
}

export const ALARM_COLUMNS: readonly Column[] = [
  { key: 'state', label: 'state', format: 'text' },
  { key: 'title', label: 'alarm', format: 'text' },
  { key: 'value', label: 'latest value', format: 'number' },
  { key: 'threshold', label: 'threshold', format: 'text' },
];

/** Whether one period's value breaches (null: the alarm's missing-data rule decides). */
export function breaches(alarm: AlarmDefinition, value: number | null): boolean {
  if (value === null) return alarm.missingData === 'breaching';
  return alarm.comparison === 'above' ? value > alarm.threshold : value < alarm.threshold;
}

/**
 * The state from the periods' values, as CloudWatch decides it: ALARM when
 * `datapointsToAlarm` of them breach (default all).
 */
export function stateOf(alarm: AlarmDefinition, periods: Array<number | null>): AlarmStateValue {
  const needed = alarm.datapointsToAlarm ?? alarm.evaluationPeriods;
  const breaching = periods.filter((value) => breaches(alarm, value)).length;
  return periods.length > 0 && breaching >= Math.min(needed, periods.length) ? 'ALARM' : 'OK';
}

export async function alarmStates(
  db: Queryable,
  namespace: string,
  at: Date,
  alarms: readonly AlarmDefinition[] = ALARMS,
): Promise<AlarmState[]> {
  const states: AlarmState[] = [];
  let ran: AlarmStateValue | undefined;
  for (const alarm of alarms) {
    const periods = await periodValues(db, namespace, alarm, at);
    let state = stateOf(alarm, periods);
    // Armed alarms, like the composite alarm on AWS: only once the pipeline has run.
    if (alarm.armedBy === 'pipeline-ran' && state === 'ALARM') {
      ran ??= stateOf(PIPELINE_RAN, await periodValues(db, namespace, PIPELINE_RAN, at));
      if (ran !== 'ALARM') state = 'OK';
    }
    states.push({
      id: alarm.id,
      title: alarm.title,
      state,
      value: periods.at(-1) ?? null,
      threshold: `${alarm.comparison === 'above' ? '>' : '<'} ${alarm.threshold} ${alarm.unit}`,
      periods,
    });
  }
  return states;
}

/** The alarm's value in each of its evaluation periods ending at `at` (the last one partial). */
async function periodValues(
  db: Queryable,
  namespace: string,
  alarm: AlarmDefinition,
  at: Date,
): Promise<Array<number | null>> {
  const period = alarm.periodSeconds;
  // Periods are aligned on the epoch, as the SQL buckets are; the last one ends at or after `at`.
  const end = Math.ceil(at.getTime() / 1000 / period) * period;
  const starts = Array.from(
    { length: alarm.evaluationPeriods },
    (_, i) => end - (alarm.evaluationPeriods - i) * period,
  );
  const from = new Date((starts[0] as number) * 1000);
  const to = new Date(end * 1000);
  const byStart = new Map<number, number>();

  const local = alarm.local;
  if (local && 'query' in local) {
    const { rows } = await db.query<{ t: Date; series: string; value: number }>(
      readSql(local.query),
      [from, to, period],
    );
    for (const row of rows) {
      if (row.series === local.series) byStart.set(row.t.getTime() / 1000, row.value);
    }
  } else if (local) {
    const series = await metricSeries(
      db,
      {
        namespace: LOCAL_NAMESPACE,
        metric: local.runtime,
        dimensions: { service: local.service },
        splitBy: undefined,
        from,
        to,
      },
      period,
    );
    for (const row of series) byStart.set(row.t.getTime() / 1000, statValue(row, local.stat));
  } else if ('metric' in alarm.value) {
    const metric = alarm.value.metric as AppMetric;
    for (const [t, value] of await appValues(db, namespace, metric, from, to, period)) {
      byStart.set(t, value);
    }
  } else {
    const { part, whole } = alarm.value.percent;
    const parts = await appValues(db, namespace, part, from, to, period);
    for (const [t, total] of await appValues(db, namespace, whole, from, to, period)) {
      // As the CloudWatch expression: IF(whole > 0, 100 * part / whole, 0).
      byStart.set(t, total > 0 ? (100 * (parts.get(t) ?? 0)) / total : 0);
    }
  }
  return starts.map((start) => byStart.get(start) ?? null);
}

async function appValues(
  db: Queryable,
  namespace: string,
  metric: AppMetric,
  from: Date,
  to: Date,
  period: number,
): Promise<Map<number, number>> {
  const rows = await metricSeries(
    db,
    {
      namespace,
      metric: metric.metric,
      dimensions: metric.dimensions as Record<string, string>,
      splitBy: undefined,
      from,
      to,
    },
    period,
  );
  return new Map(rows.map((row) => [row.t.getTime() / 1000, statValue(row, metric.stat)]));
}
