import { describe, expect, it } from 'vitest';
import { ALARMS, PIPELINE_RAN } from '../../cdk/dashboard/definition.ts';
import { resource, synth } from './synth.ts';

type Alarm = { Properties: Record<string, unknown> };

/**
 * The stack's alarms that notify, by the definition id their description
 * starts with: a metric alarm, or for an armed alarm its composite alarm.
 */
function alarmsByTitle(template: ReturnType<typeof synth>): Map<string, Alarm> {
  const alarms = [
    ...Object.values(template.findResources('AWS::CloudWatch::Alarm')),
    ...Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm')),
  ] as Alarm[];
  const byTitle = new Map<string, Alarm>();
  for (const definition of [...ALARMS, PIPELINE_RAN]) {
    const found = alarms.filter((a) =>
      String(a.Properties.AlarmDescription).startsWith(`${definition.title}. `),
    );
    expect(found, definition.id).toHaveLength(1);
    byTitle.set(definition.id, found[0] as Alarm);
  }
  return byTitle;
}

/** The metric alarm of an armed alarm: the condition alone, which notifies nobody. */
function condition(template: ReturnType<typeof synth>, title: string): [string, Alarm] {
  const found = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(([, a]) =>
    String(a.Properties.AlarmDescription).startsWith(`${title}: the condition alone`),
  );
  expect(found).toHaveLength(1);
  return found[0] as [string, Alarm];
}

/** The one metric an alarm watches, as CloudWatch stores it (a labelled metric is a Metrics entry). */
function watched(alarm: Alarm | undefined): Record<string, unknown> {
  if (!alarm) throw new Error('no such alarm');
  const [entry] = alarm.Properties.Metrics as Array<{
    MetricStat: { Metric: Record<string, unknown>; Period: number; Stat: string };
  }>;
  return {
    ...entry?.MetricStat.Metric,
    Period: entry?.MetricStat.Period,
    Stat: entry?.MetricStat.Stat,
  };
}

describe('alarms', () => {
  const template = synth();
  const alarms = alarmsByTitle(template);
  const [topicId] = resource(template, 'AWS::SNS::Topic', 'AlarmsTopic');

  it('are the definition’s alarms, each notifying the alarm topic when it fires and when it recovers, with no chosen name', () => {
    const armed = ALARMS.filter((a) => a.armedBy);
    // An armed alarm is a metric alarm and a composite; "the pipeline has run" is one more.
    template.resourceCountIs('AWS::CloudWatch::Alarm', ALARMS.length + 1);
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', armed.length);
    for (const [id, alarm] of alarms) {
      if (id === PIPELINE_RAN.id) continue;
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions, id).toEqual([{ Ref: topicId }]);
      // CDK names composite alarms itself, from the stack's own path: stages never collide.
      if (ALARMS.find((a) => a.id === id)?.armedBy) {
        expect(alarm.Properties.AlarmName, id).toMatch(/^Pricestream[A-Za-z0-9]*armed/);
      } else {
        expect(alarm.Properties.AlarmName, id).toBeUndefined();
      }
    }
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
  });

  it('watch each consumer’s iterator age, 5 minutes behind a lag threshold', () => {
    const [realtimeId] = resource(template, 'AWS::Lambda::Function', 'RealtimeConsumer');
    expect(alarms.get('iterator-age-realtime')?.Properties).toMatchObject({
      EvaluationPeriods: 5,
      Threshold: 60_000,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(watched(alarms.get('iterator-age-realtime'))).toEqual({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: realtimeId } }],
      Stat: 'Maximum',
      Period: 60,
    });
    expect(alarms.get('iterator-age-batch')?.Properties.Threshold).toBe(120_000);
  });

  it('fire on any record sent to the dead-letter bucket, per mapping', () => {
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping');
    for (const consumer of ['realtime', 'batch']) {
      const alarm = alarms.get(`dead-letters-${consumer}`);
      expect(alarm?.Properties).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      const metric = watched(alarm);
      expect(metric).toMatchObject({
        MetricName: 'OnFailureDestinationDeliveredEventCount',
        Stat: 'Sum',
      });
      const [dimension] = metric.Dimensions as Array<{ Name: string; Value: { Ref: string } }>;
      expect(dimension?.Name).toBe('EventSourceMappingUUID');
      expect(Object.keys(mappings)).toContain(dimension?.Value.Ref);
    }
  });

  it('fire when no rows are written for 10 minutes, missing data breaching, but only once the pipeline has run', () => {
    const definition = ALARMS.find((a) => a.id === 'no-rows-batch');
    const [conditionId, metricAlarm] = condition(template, definition?.title ?? '');
    const [ranId, ran] = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).find(
      ([, a]) => String(a.Properties.AlarmDescription).startsWith(`${PIPELINE_RAN.title}. `),
    ) as [string, Alarm];

    expect(metricAlarm.Properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    // The condition alone notifies nobody: right after a deploy it sees only missing data.
    expect(metricAlarm.Properties.AlarmActions).toBeUndefined();
    expect(metricAlarm.Properties.OKActions).toBeUndefined();
    expect(watched(metricAlarm)).toEqual({
      Namespace: 'Pricestream',
      MetricName: 'RecordsWritten',
      Dimensions: [
        { Name: 'consumer', Value: 'batch' },
        { Name: 'service', Value: 'batch-consumer' },
      ],
      Stat: 'Sum',
      Period: 600,
    });
    // "Has run": fetch-prices attempted a fetch in any of the last 24 hours; nobody notified.
    expect(ran.Properties).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 24,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(ran.Properties.AlarmActions).toBeUndefined();
    expect(watched(ran)).toEqual({
      Namespace: 'Pricestream',
      MetricName: 'FetchesAttempted',
      Dimensions: [{ Name: 'service', Value: 'fetch-prices' }],
      Stat: 'Sum',
      Period: 3600,
    });
    // What notifies: both in ALARM.
    expect(alarms.get('no-rows-batch')?.Properties.AlarmRule).toEqual({
      'Fn::Join': [
        '',
        [
          '(ALARM("',
          { 'Fn::GetAtt': [conditionId, 'Arn'] },
          '") AND ALARM("',
          { 'Fn::GetAtt': [ranId, 'Arn'] },
          '"))',
        ],
      ],
    });
  });

  it('compute the fetch failure ratio from the totals fetch-prices publishes', () => {
    const props = alarms.get('fetch-failure-ratio')?.Properties as {
      Metrics: Array<{
        Id: string;
        Expression?: string;
        MetricStat?: { Metric: { MetricName: string } };
      }>;
    };

    expect(props).toMatchObject({ Threshold: 50, EvaluationPeriods: 2 });
    expect(props.Metrics.find((m) => m.Expression)?.Expression).toBe(
      'IF(whole > 0, 100 * part / whole, 0)',
    );
    expect(props.Metrics.flatMap((m) => m.MetricStat?.Metric.MetricName ?? []).sort()).toEqual([
      'FetchesAttempted',
      'FetchesFailed',
    ]);
  });

  it('subscribe the configured email address, and nobody by default', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);

    const withEmail = synth({ alarmEmail: 'ops@example.com' });
    withEmail.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('are shown on the dashboard’s alarm status widget', () => {
    const body = JSON.stringify(
      (Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as Alarm).Properties
        .DashboardBody,
    );
    expect(body).toContain('\\"type\\":\\"alarm\\"');
    const notifying = Object.entries({
      ...template.findResources('AWS::CloudWatch::Alarm'),
      ...template.findResources('AWS::CloudWatch::CompositeAlarm'),
    }).filter(([, a]) => a.Properties.AlarmActions !== undefined);
    expect(notifying).toHaveLength(ALARMS.length);
    for (const [id] of notifying) expect(body).toContain(id);
  });
});
