import { describe, expect, it } from 'vitest';
import { AWS_PRICES, type AwsPrices } from '../../bench/study/aws-prices.ts';
import { billedDurationMs, settingCost } from '../../bench/study/cost.ts';

/** Round numbers, so every figure below can be checked by hand. */
const PRICES: AwsPrices = {
  readOn: '2000-01-01',
  region: 'test-1',
  lambda: {
    source: 'test',
    architecture: 'arm64',
    perRequestUsd: 0.2 / 1_000_000,
    perGbSecondUsd: 0.00001,
    billingGranularityMs: 1,
  },
  kinesis: {
    source: 'test',
    perShardHourUsd: 0.01,
    perPutPayloadUnitUsd: 0.01 / 1_000_000,
    putPayloadUnitBytes: 25 * 1024,
    perEfoConsumerShardHourUsd: 0.02,
    perEfoGbUsd: 0.01,
  },
  database: {
    source: 'test',
    perAcuHourUsd: 0.1,
    minimumAcu: 0.5,
    proxyPerAcuHourUsd: 0.01,
    proxyMinimumAcu: 8,
  },
};

const standard = { shards: 2, enhancedFanOut: false, bytesPerRecord: 300 };

describe('cost per million events', () => {
  it('bills each invocation rounded up to the millisecond', () => {
    expect(billedDurationMs(0.2, 1)).toBe(1);
    expect(billedDurationMs(1, 1)).toBe(1);
    expect(billedDurationMs(1.0001, 1)).toBe(2);
    expect(billedDurationMs(101, 100)).toBe(200);
  });

  it('prices one invocation per record: requests and GB-seconds per million', () => {
    // 1,000 records, 1,000 invocations of 10 ms at 512 MB.
    const cost = settingCost(
      { records: 1_000, invocations: 1_000, billedMs: 10_000, memoryMb: 512 },
      standard,
      100,
      PRICES,
    );
    // 1e6 requests × $0.2/M = $0.20; 1e6 × 10 ms × 0.5 GB = 5,000 GB-s × $0.00001 = $0.05.
    expect(cost.requestsPerMillionUsd).toBeCloseTo(0.2, 10);
    expect(cost.durationPerMillionUsd).toBeCloseTo(0.05, 10);
    expect(cost.efoDataPerMillionUsd).toBe(0);
    expect(cost.perMillionUsd).toBeCloseTo(0.25, 10);
  });

  it('divides a batch invocation over its records', () => {
    // 1,000 records in 10 invocations of 50 ms at 1024 MB.
    const cost = settingCost(
      { records: 1_000, invocations: 10, billedMs: 500, memoryMb: 1024 },
      standard,
      100,
      PRICES,
    );
    // 1e4 requests per million = $0.002; 0.5 s × 1 GB × 1,000 = 500 GB-s per million = $0.005.
    expect(cost.requestsPerMillionUsd).toBeCloseTo(0.002, 10);
    expect(cost.durationPerMillionUsd).toBeCloseTo(0.005, 10);
    expect(cost.perMillionUsd).toBeCloseTo(0.007, 10);
  });

  it('adds the hourly costs per million events at the offered load', () => {
    const cost = settingCost(
      { records: 1_000, invocations: 1_000, billedMs: 10_000, memoryMb: 512 },
      standard,
      100,
      PRICES,
    );
    // Shards 2 × $0.01, Aurora 0.5 ACU × $0.1, proxy 8 ACU × $0.01: $0.15 an hour.
    const { shards, efoConsumer, database, proxy, total } = cost.hourlyUsd;
    expect([shards, efoConsumer, database, proxy]).toEqual([0.02, 0, 0.05, 0.08]);
    expect(total).toBeCloseTo(0.15, 10);
    // 100/s = 360,000 events an hour: $0.15 / 0.36 M = $0.41667 per million, plus $0.01 of PUT units.
    expect(cost.putUnitsPerMillionUsd).toBeCloseTo(0.01, 10);
    expect(cost.allInPerMillionUsd).toBeCloseTo(0.25 + 0.01 + 0.15 / 0.36, 10);
  });

  it('charges enhanced fan-out per GB read and per consumer-shard-hour', () => {
    const cost = settingCost(
      { records: 1_000, invocations: 1_000, billedMs: 10_000, memoryMb: 512 },
      // 1,073.741824 bytes a record: exactly 1 GiB per million records.
      { shards: 2, enhancedFanOut: true, bytesPerRecord: 1024 ** 3 / 1_000_000 },
      100,
      PRICES,
    );
    expect(cost.efoDataPerMillionUsd).toBeCloseTo(0.01, 10);
    expect(cost.perMillionUsd).toBeCloseTo(0.26, 10);
    expect(cost.hourlyUsd.efoConsumer).toBeCloseTo(0.04, 10);
    expect(cost.hourlyUsd.total).toBeCloseTo(0.19, 10);
  });

  it('counts a PUT payload unit per started 25 KB', () => {
    const cost = settingCost(
      { records: 1, invocations: 1, billedMs: 1, memoryMb: 128 },
      { ...standard, bytesPerRecord: 25 * 1024 + 1 },
      1,
      PRICES,
    );
    expect(cost.putUnitsPerMillionUsd).toBeCloseTo(0.02, 10);
  });

  it('refuses a setting that wrote nothing', () => {
    expect(() =>
      settingCost({ records: 0, invocations: 0, billedMs: 0, memoryMb: 256 }, standard, 1, PRICES),
    ).toThrow(RangeError);
  });

  it('keeps its prices with their date and sources', () => {
    expect(AWS_PRICES.readOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(AWS_PRICES.lambda.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
    expect(AWS_PRICES.kinesis.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
    expect(AWS_PRICES.lambda.architecture).toBe('arm64');
  });
});
