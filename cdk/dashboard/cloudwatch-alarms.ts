import { Duration, Validations } from 'aws-cdk-lib';
import {
  type Alarm,
  ComparisonOperator,
  MathExpression,
  type Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { type DashboardResources, toCloudWatchMetrics } from './cloudwatch.ts';
import { ALARMS, type AlarmDefinition } from './definition.ts';

/**
 * The definition's alarms as CloudWatch alarms, each notifying one SNS topic
 * when it fires and when it recovers; an email address, when configured, is
 * subscribed (the subscription waits for its confirmation mail). Alarm names
 * are left to CloudFormation, so stages do not collide.
 */
export class PipelineAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[];

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
    this.alarms = ALARMS.flatMap((definition) => {
      const metric = alarmMetric(definition, props.resources);
      if (metric === undefined) return [];
      const alarm = metric.createAlarm(this, definition.id, {
        alarmDescription: `${definition.title}. ${definition.description}`,
        threshold: definition.threshold,
        evaluationPeriods: definition.evaluationPeriods,
        comparisonOperator:
          definition.comparison === 'above'
            ? ComparisonOperator.GREATER_THAN_THRESHOLD
            : ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData:
          definition.missingData === 'breaching'
            ? TreatMissingData.BREACHING
            : TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return [alarm];
    });
  }
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
