import { describe, expect, it } from 'vitest';
import { ALARMS } from '../../cdk/dashboard/definition.ts';
import { resource, synth } from './synth.ts';

type Alarm = { Properties: Record<string, unknown> };

/** The stack's alarms, by the definition id their description starts with. */
function alarmsByTitle(template: ReturnType<typeof synth>): Map<string, Alarm> {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Alarm[];
  const byTitle = new Map<string, Alarm>();
  for (const definition of ALARMS) {
    const found = alarms.filter((a) =>
      String(a.Properties.AlarmDescription).startsWith(`${definition.title}. `),
    );
    expect(found, definition.id).toHaveLength(1);
    byTitle.set(definition.id, found[0] as Alarm);
  }
  return byTitle;
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
    template.resourceCountIs('AWS::CloudWatch::Alarm', ALARMS.length);
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.AlarmName, id).toBeUndefined();
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

  it('fire when no rows are written for 10 minutes, missing data breaching', () => {
    expect(alarms.get('no-rows-batch')?.Properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(watched(alarms.get('no-rows-batch'))).toEqual({
      Namespace: 'Pricestream',
      MetricName: 'RecordsWritten',
      Dimensions: [
        { Name: 'consumer', Value: 'batch' },
        { Name: 'service', Value: 'batch-consumer' },
      ],
      Stat: 'Sum',
      Period: 600,
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
    for (const id of Object.keys(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(body).toContain(id);
    }
  });
});
