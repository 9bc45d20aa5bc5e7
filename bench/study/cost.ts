/**
 * What one setting would cost on AWS, from what the study measured locally:
 * invocations and billed duration per record, the configured memory, and
 * the prices in aws-prices.ts. Pure arithmetic, so it is tested on known inputs.
 *
 * The per-million figure is what the setting changes: the consumer's Lambda
 * requests and GB-seconds, and for enhanced fan-out the data it reads. What
 * runs whatever the setting (shards, PUT payload units, the database, and
 * enhanced fan-out's consumer-shard-hours) is given per hour beside it, and
 * folded in per million events at the setting's offered load in `allIn…`.
 */
import type { AwsPrices } from './aws-prices.ts';

const GB = 1024 ** 3;
const MILLION = 1_000_000;

/** What the consumer's function did for the records of one setting. */
export interface LambdaUse {
  records: number;
  invocations: number;
  /** Sum over invocations of the duration each is billed for (rounded up). */
  billedMs: number;
  memoryMb: number;
}

export interface StreamUse {
  shards: number;
  /** The consumer reads through enhanced fan-out. */
  enhancedFanOut: boolean;
  /** Average size of one record's data, bytes. */
  bytesPerRecord: number;
}

export interface SettingCost {
  /** Lambda requests per million events. */
  requestsPerMillionUsd: number;
  /** Lambda GB-seconds per million events. */
  durationPerMillionUsd: number;
  /** Enhanced fan-out data retrieval per million events (0 for standard reads). */
  efoDataPerMillionUsd: number;
  /** The three above: what this setting costs per million events. */
  perMillionUsd: number;
  /** PUT payload units per million events (the same for every setting). */
  putUnitsPerMillionUsd: number;
  /** Hourly costs that run whatever the load. */
  hourlyUsd: {
    shards: number;
    efoConsumer: number;
    database: number;
    proxy: number;
    total: number;
  };
  /** Everything, per million events, at `offeredPerSecond`. */
  allInPerMillionUsd: number;
}

/** Lambda bills each invocation's duration rounded up to its granularity. */
export function billedDurationMs(durationMs: number, granularityMs: number): number {
  return Math.max(granularityMs, Math.ceil(durationMs / granularityMs) * granularityMs);
}

export function settingCost(
  lambda: LambdaUse,
  stream: StreamUse,
  offeredPerSecond: number,
  prices: AwsPrices,
): SettingCost {
  if (lambda.records <= 0) throw new RangeError('cost per event needs at least one record');
  const perRecord = (total: number) => (total / lambda.records) * MILLION;
  const requestsPerMillionUsd = perRecord(lambda.invocations * prices.lambda.perRequestUsd);
  const gbSeconds = (lambda.billedMs / 1000) * (lambda.memoryMb / 1024);
  const durationPerMillionUsd = perRecord(gbSeconds * prices.lambda.perGbSecondUsd);
  const efoDataPerMillionUsd = stream.enhancedFanOut
    ? ((stream.bytesPerRecord * MILLION) / GB) * prices.kinesis.perEfoGbUsd
    : 0;
  const putUnits = Math.max(
    1,
    Math.ceil(stream.bytesPerRecord / prices.kinesis.putPayloadUnitBytes),
  );
  const putUnitsPerMillionUsd = putUnits * MILLION * prices.kinesis.perPutPayloadUnitUsd;
  const db = prices.database;
  const hourly = {
    shards: stream.shards * prices.kinesis.perShardHourUsd,
    efoConsumer: stream.enhancedFanOut
      ? stream.shards * prices.kinesis.perEfoConsumerShardHourUsd
      : 0,
    database: db.minimumAcu * db.perAcuHourUsd,
    proxy: Math.max(db.proxyMinimumAcu, db.minimumAcu) * db.proxyPerAcuHourUsd,
  };
  const hourlyTotal = hourly.shards + hourly.efoConsumer + hourly.database + hourly.proxy;
  const perMillionUsd = requestsPerMillionUsd + durationPerMillionUsd + efoDataPerMillionUsd;
  const eventsPerHour = offeredPerSecond * 3600;
  return {
    requestsPerMillionUsd,
    durationPerMillionUsd,
    efoDataPerMillionUsd,
    perMillionUsd,
    putUnitsPerMillionUsd,
    hourlyUsd: { ...hourly, total: hourlyTotal },
    allInPerMillionUsd:
      perMillionUsd + putUnitsPerMillionUsd + (hourlyTotal / eventsPerHour) * MILLION,
  };
}
