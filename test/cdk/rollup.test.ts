import { describe, expect, it } from 'vitest';
import { LAMBDA_NODE_RUNTIME } from '../../cdk/node-version.ts';
import { actionsOf, EXTERNAL, environmentOf, resource, SECRET_ARN, synth } from './synth.ts';

const RULES = [
  ['Rollup10mSchedule', '10m'],
  ['Rollup1hSchedule', '1h'],
] as const;

describe('gold rollup', () => {
  it('is one function run by two rules, each naming its granularity in the Input', () => {
    const template = synth();
    const [fnId] = resource(template, 'AWS::Lambda::Function', 'Rollup');

    for (const [name, granularity] of RULES) {
      const [, rule] = resource(template, 'AWS::Events::Rule', name);
      expect(rule.Properties).toMatchObject({
        ScheduleExpression: 'rate(10 minutes)',
        State: 'ENABLED',
        Targets: [
          {
            Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
            Id: 'Target0',
            Input: JSON.stringify({ granularity }),
          },
        ],
      });
    }
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Permission',
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
        Principal: 'events.amazonaws.com',
      },
      2,
    );
  });

  it('takes its schedule, source consumer and timeout from the configuration', () => {
    const template = synth({
      rollup: { schedule: 'cron(5 * * * ? *)', sourceConsumer: 'batch', timeoutSeconds: 120 },
    });
    const [, fn] = resource(template, 'AWS::Lambda::Function', 'Rollup');

    for (const [name] of RULES) {
      const [, rule] = resource(template, 'AWS::Events::Rule', name);
      expect(rule.Properties.ScheduleExpression).toBe('cron(5 * * * ? *)');
    }
    expect(fn.Properties).toMatchObject({
      Timeout: 120,
      Runtime: LAMBDA_NODE_RUNTIME,
      Architectures: ['arm64'],
      Handler: 'index.handler',
    });
    expect(environmentOf(fn)).toMatchObject({
      NODE_OPTIONS: '--enable-source-maps',
      LOG_LEVEL: 'INFO',
      POWERTOOLS_SERVICE_NAME: 'rollup',
      POWERTOOLS_METRICS_NAMESPACE: 'Pricestream',
      ROLLUP_SOURCE_CONSUMER: 'batch',
      DATABASE_AUTH: 'iam',
      DATABASE_SSL: 'verify-full',
    });
  });

  it('reads the realtime consumer by default, for 300 s at most', () => {
    const [, fn] = resource(synth(), 'AWS::Lambda::Function', 'Rollup');

    expect(environmentOf(fn)).toMatchObject({ ROLLUP_SOURCE_CONSUMER: 'realtime' });
    expect(fn.Properties.Timeout).toBe(300);
  });

  it('reads the database secret when one is configured, and nothing else', () => {
    const template = synth(EXTERNAL);
    const [fnId, fn] = resource(template, 'AWS::Lambda::Function', 'Rollup');

    expect(environmentOf(fn)).toMatchObject({
      DATABASE_SECRET_ARN: SECRET_ARN,
      DATABASE_SSL: 'verify-full',
    });
    expect(environmentOf(fn)).not.toHaveProperty('DATABASE_URL');
    expect(actionsOf(template, fnId).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
  });

  it('is not scheduled before the migrations ran', () => {
    const template = synth();
    const [migrationsId] = resource(template, 'Custom::Migrations', 'Migrations');

    for (const [name] of RULES) {
      const [, rule] = resource(template, 'AWS::Events::Rule', name);
      expect(rule.DependsOn).toContain(migrationsId);
    }
  });
});
