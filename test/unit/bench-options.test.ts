import { describe, expect, it } from 'vitest';
import { parseBenchArgs, UsageError } from '../../bench/options.ts';
import { percentiles } from '../../bench/stats.ts';

describe('bench options', () => {
  it('runs both modes with the full schedule by default', () => {
    expect(parseBenchArgs([])).toMatchObject({
      quick: false,
      modes: ['standard', 'efo'],
      durationSeconds: 180,
      stepSeconds: 20,
      rates: [100, 200, 400, 800, 1600],
      drainRecords: 10_000,
      postgresPort: 54359,
      kinesisPort: 4598,
      baseline: false,
    });
  });

  it('keeps --quick under a minute: standard only, one step, no drain', () => {
    expect(parseBenchArgs(['--quick'])).toMatchObject({
      modes: ['standard'],
      durationSeconds: 20,
      stepSeconds: 10,
      rates: [100],
      drainRecords: 0,
    });
  });

  it('reads modes, rates and repeated context', () => {
    const options = parseBenchArgs([
      '--modes',
      'efo,efo-subscribe',
      '--rates=50,75',
      '--context',
      'batch.batchingWindowSeconds=5',
      '--context',
      'pricestream:shardCount=2',
    ]);

    expect(options.modes).toEqual(['efo', 'efo-subscribe']);
    expect(options.rates).toEqual([50, 75]);
    expect(options.context).toEqual({ 'batch.batchingWindowSeconds': '5', shardCount: '2' });
  });

  it.each([
    [['--modes', 'flink']],
    [['--rates', '200,100']],
    [['--duration', '0']],
    [['--context', 'novalue']],
    [['--nope']],
  ])('rejects %j', (argv) => {
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
  });
});

describe('bench percentiles', () => {
  it('interpolates like percentile_cont', () => {
    expect(percentiles([4, 1, 3, 2])).toEqual({ count: 4, p50: 2.5, p95: 3.9, p99: 4, max: 4 });
    expect(percentiles([])).toBeNull();
  });
});
