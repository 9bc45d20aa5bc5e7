import { Duration, Validations } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmRule,
  AlarmState,
  ComparisonOperator,
  CompositeAlarm,
  type IAlarm,
  MathExpression,
  type Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { type DashboardResources, toCloudWatchMetrics } from './cloudwatch.ts';
import { ALARMS, type AlarmDefinition, PIPELINE_RAN } from './definition.ts';

/**
 * The definition's alarms as CloudWatch alarms, each notifying one SNS topic
 * when it fires and when it recovers; an email address, when configured, is
 * subscribed (the subscription waits for its confirmation mail). Alarm names
 * are left to CloudFormation, so stages do not collide.
 *
 * An alarm armed by PIPELINE_RAN is two: its metric alarm, which notifies
 * nobody, and a composite alarm (that alarm AND "the pipeline has run in the
 * last 24 hours") which notifies. A fresh deploy, whose "no rows" alarms see
 * only missing data, so stays quiet until fetch-prices first runs.
 */
export class PipelineAlarms extends Construct {
  readonly topic: Topic;
  /** The alarms that notify (the status widget shows these). */
  readonly alarms: IAlarm[];

  constructor(
    scope: Construct,
    id: string,
    props: { resources: DashboardResources; email?: string | undefined },
  ) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { displayName: 'pricestream alarms', enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Not KMS-encrypted: CloudWatch alarms cannot publish to a topic under the AWS managed key, and a customer managed key would bill monthly for notifications that carry only alarm names and states.',
    });
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
    const action = new SnsAction(this.topic);
    let pipelineRan: Alarm | undefined;
    this.alarms = ALARMS.flatMap((definition): IAlarm[] => {
      const alarm = metricAlarm(
        this,
        definition,
        props.resources,
        definition.armedBy
          ? ': the condition alone; the composite alarm of the same title notifies'
          : '. ',
      );
      if (alarm === undefined) return [];
      if (definition.armedBy === undefined) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
        return [alarm];
      }
      pipelineRan ??= metricAlarm(this, PIPELINE_RAN, props.resources, '. ');
      if (pipelineRan === undefined)
        throw new Error('PIPELINE_RAN watches a metric the stack lacks');
      const armed = new CompositeAlarm(this, `${definition.id}-armed`, {
        alarmDescription: `${definition.title}. ${definition.description}`,
        alarmRule: AlarmRule.allOf(
          AlarmRule.fromAlarm(alarm, AlarmState.ALARM),
          AlarmRule.fromAlarm(pipelineRan, AlarmState.ALARM),
        ),
      });
      armed.addAlarmAction(action);
      armed.addOkAction(action);
      return [armed];
    });
  }
}

/** The CloudWatch alarm of one definition, with no actions; undefined when the stack lacks its resource. */
function metricAlarm(
  scope: Construct,
  definition: AlarmDefinition,
  resources: DashboardResources,
  separator: string,
): Alarm | undefined {
  const metric = alarmMetric(definition, resources);
  if (metric === undefined) return undefined;
  return metric.createAlarm(scope, definition.id, {
    alarmDescription:
      separator === '. '
        ? `${definition.title}. ${definition.description}`
        : `${definition.title}${separator}.`,
    threshold: definition.threshold,
    evaluationPeriods: definition.evaluationPeriods,
    ...(definition.datapointsToAlarm ? { datapointsToAlarm: definition.datapointsToAlarm } : {}),
    comparisonOperator:
      definition.comparison === 'above'
        ? ComparisonOperator.GREATER_THAN_THRESHOLD
        : ComparisonOperator.LESS_THAN_THRESHOLD,
    treatMissingData:
      definition.missingData === 'breaching'
        ? TreatMissingData.BREACHING
        : TreatMissingData.NOT_BREACHING,
  });
}

/** The alarm's metric or expression; undefined when the stack lacks its resource. */
function alarmMetric(
  definition: AlarmDefinition,
  resources: DashboardResources,
): Metric | MathExpression | undefined {
  const period = Duration.seconds(definition.periodSeconds);
  if ('metric' in definition.value) {
    return toCloudWatchMetrics(definition.value.metric, resources, period)[0];
  }
  const { part, whole } = definition.value.percent;
  const [partMetric] = toCloudWatchMetrics(part, resources, period);
  const [wholeMetric] = toCloudWatchMetrics(whole, resources, period);
  if (!partMetric || !wholeMetric) return undefined;
  return new MathExpression({
    expression: 'IF(whole > 0, 100 * part / whole, 0)',
    usingMetrics: { part: partMetric, whole: wholeMetric },
    period,
    label: definition.title,
  });
}
