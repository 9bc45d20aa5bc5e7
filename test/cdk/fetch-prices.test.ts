import { describe, expect, it } from 'vitest';
import { actionsOf, environmentOf, resource, statementsOf, synth } from './synth.ts';

describe('fetch-prices', () => {
  it('is started by a rate(1 minute) rule', () => {
    const template = synth();
    const [fnId] = resource(template, 'AWS::Lambda::Function', 'FetchPrices');

    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, Id: 'Target0' }],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
  });

  it('runs for one schedule period plus 15 s and gets its settings from the environment', () => {
    const template = synth({
      fetchSchedule: 'rate(2 minutes)',
      symbols: ['BTC-USD', 'ETH-EUR'],
      priceSource: 'sim',
      coinbaseBaseUrl: 'http://127.0.0.1:9999/',
      coinbaseTimeoutMs: 500,
      pollIntervalSeconds: 5,
      simSeed: 7,
    });
    const [streamId] = resource(template, 'AWS::Kinesis::Stream', 'Prices');
    const [, fn] = resource(template, 'AWS::Lambda::Function', 'FetchPrices');

    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(2 minutes)' });
    expect(fn.Properties.Timeout).toBe(135);
    expect(fn.Properties.MemorySize).toBe(256);
    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(environmentOf(fn)).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      LOG_LEVEL: 'INFO',
      POWERTOOLS_SERVICE_NAME: 'fetch-prices',
      POWERTOOLS_METRICS_NAMESPACE: 'Pricestream',
      STREAM_NAME: { Ref: streamId },
      SYMBOLS: 'BTC-USD,ETH-EUR',
      PRICE_SOURCE: 'sim',
      COINBASE_BASE_URL: 'http://127.0.0.1:9999',
      COINBASE_TIMEOUT_MS: '500',
      POLL_INTERVAL_SECONDS: '5',
      SCHEDULE_PERIOD_SECONDS: '120',
      SIM_SEED: '7',
    });
  });

  it('takes a cron schedule: one invocation ticks until the next is due (the shortest gap), at most 14 minutes', () => {
    const market = synth({ fetchSchedule: 'cron(0/10 8-17 ? * MON-FRI *)' });
    const hourly = synth({ fetchSchedule: 'cron(5 * * * ? *)' });
    const periodOf = (template: ReturnType<typeof synth>) => {
      const [, fn] = resource(template, 'AWS::Lambda::Function', 'FetchPrices');
      return [environmentOf(fn).SCHEDULE_PERIOD_SECONDS, fn.Properties.Timeout];
    };

    market.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0/10 8-17 ? * MON-FRI *)',
    });
    expect(periodOf(market)).toEqual(['600', 615]);
    expect(periodOf(hourly)).toEqual(['840', 855]);
  });

  it('may only write to the stream', () => {
    const template = synth();
    const [streamId] = resource(template, 'AWS::Kinesis::Stream', 'Prices');
    const [fnId] = resource(template, 'AWS::Lambda::Function', 'FetchPrices');

    const actions = actionsOf(template, fnId);
    expect(actions).toContain('kinesis:PutRecord');
    expect(actions).toContain('kinesis:PutRecords');
    expect(actions).not.toContain('kinesis:GetRecords');
    expect(actions.filter((a) => !a.startsWith('kinesis:'))).toEqual([]);
    for (const statement of statementsOf(template, fnId)) {
      expect(statement.Resource).toEqual({ 'Fn::GetAtt': [streamId, 'Arn'] });
    }
  });

  it('is not scheduled before the migrations ran', () => {
    const template = synth();
    const [, rule] = resource(template, 'AWS::Events::Rule', 'FetchSchedule');
    const [migrationsId] = resource(template, 'Custom::Migrations', 'Migrations');

    expect(rule.DependsOn).toContain(migrationsId);
  });
});
