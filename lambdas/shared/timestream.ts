import type {
  _Record,
  TimestreamWriteClient,
  WriteRecordsCommandInput,
} from '@aws-sdk/client-timestream-write';
import { awsClientConfig } from './aws-client.ts';
import { ENV, EnvError, optionalEnv } from './env.ts';
import type { TimestreamOutcome } from './metrics.ts';
import type { PriceEvent } from './price-event.ts';

/**
 * The optional mirror of the per-record consumer's prices into Amazon
 * Timestream for LiveAnalytics (closed to new AWS customers since
 * 2025-06-20, hence off by default). Best effort by design: PostgreSQL is
 * the system of record, so throttling, rejected records or an unreachable
 * Timestream are logged and counted, never thrown at the consumer.
 */

/** WriteRecords takes at most 100 records per call. */
export const TIMESTREAM_MAX_RECORDS = 100;

/** The multi-measure record's measure name; its measures are price, bid, ask, volume_24h. */
export const TIMESTREAM_MEASURE_NAME = 'quote';

export interface TimestreamSettings {
  databaseName: string;
  tableName: string;
  /** An explicit endpoint: the client then skips endpoint discovery (DescribeEndpoints). */
  endpoint: string | undefined;
}

/** The mirror's settings, or undefined when it is off (the stack sets the variables only when on). */
export function timestreamSettingsFromEnv(
  env: Record<string, string | undefined> = process.env,
): TimestreamSettings | undefined {
  const databaseName = optionalEnv(ENV.timestreamDatabase, env);
  const tableName = optionalEnv(ENV.timestreamTable, env);
  if (databaseName === undefined && tableName === undefined) return undefined;
  if (databaseName === undefined || tableName === undefined) {
    const missing = databaseName === undefined ? ENV.timestreamDatabase : ENV.timestreamTable;
    throw new EnvError(
      `Missing environment variable ${missing} (the Timestream mirror needs both)`,
    );
  }
  const endpoint = optionalEnv(ENV.timestreamEndpoint, env);
  if (endpoint !== undefined && !/^https?:\/\/\S+$/.test(endpoint)) {
    throw new EnvError(
      `Environment variable ${ENV.timestreamEndpoint} must be an http(s) URL, got ${JSON.stringify(endpoint)}`,
    );
  }
  return { databaseName, tableName, endpoint };
}

/** One price as one multi-measure record at its event time; null measures are left out. */
export function toTimestreamRecord(event: PriceEvent): _Record {
  const measures: Array<[string, number | null]> = [
    ['price', event.price],
    ['bid', event.bid],
    ['ask', event.ask],
    ['volume_24h', event.volume24h],
  ];
  return {
    Dimensions: [
      { Name: 'symbol', Value: event.symbol },
      { Name: 'source', Value: event.source },
    ],
    MeasureName: TIMESTREAM_MEASURE_NAME,
    MeasureValueType: 'MULTI',
    MeasureValues: measures
      .filter((m): m is [string, number] => m[1] !== null && Number.isFinite(m[1]))
      .map(([Name, value]) => ({ Name, Value: String(value), Type: 'DOUBLE' })),
    Time: String(Date.parse(event.eventTime)),
    TimeUnit: 'MILLISECONDS',
  };
}

export interface MirrorLog {
  warn: (message: string, extra: Record<string, unknown>) => void;
}

export type TimestreamMirror = (events: readonly PriceEvent[]) => Promise<TimestreamOutcome>;

/**
 * Writes the events in calls of at most 100 records. A RejectedRecordsException
 * names the rejected records by index; the others of that call were written.
 * Any other error (throttling after the SDK's retries, access, network) fails
 * the records of that call only.
 */
export async function writeToTimestream(
  client: Pick<TimestreamWriteClient, 'send'>,
  settings: Pick<TimestreamSettings, 'databaseName' | 'tableName'>,
  events: readonly PriceEvent[],
  log: MirrorLog,
): Promise<TimestreamOutcome> {
  const { WriteRecordsCommand } = await import('@aws-sdk/client-timestream-write');
  const outcome: TimestreamOutcome = { written: 0, rejected: 0, failed: 0 };
  for (let start = 0; start < events.length; start += TIMESTREAM_MAX_RECORDS) {
    const chunk = events.slice(start, start + TIMESTREAM_MAX_RECORDS);
    const input: WriteRecordsCommandInput = {
      DatabaseName: settings.databaseName,
      TableName: settings.tableName,
      Records: chunk.map(toTimestreamRecord),
    };
    try {
      await client.send(new WriteRecordsCommand(input));
      outcome.written += chunk.length;
    } catch (error) {
      const name = (error as Error).name;
      const rejectedRecords = (error as { RejectedRecords?: unknown }).RejectedRecords;
      if (name === 'RejectedRecordsException' && Array.isArray(rejectedRecords)) {
        const rejected = rejectedRecords as Array<{
          RecordIndex?: number;
          Reason?: string;
          ExistingVersion?: number;
        }>;
        outcome.rejected += rejected.length;
        outcome.written += Math.max(0, chunk.length - rejected.length);
        for (const r of rejected) {
          const event = r.RecordIndex === undefined ? undefined : chunk[r.RecordIndex];
          log.warn('Timestream rejected a record', {
            reason: r.Reason,
            existingVersion: r.ExistingVersion,
            eventId: event?.eventId,
            symbol: event?.symbol,
          });
        }
      } else {
        outcome.failed += chunk.length;
        log.warn('Timestream write failed; PostgreSQL has the rows', {
          errorName: name,
          error: (error as Error).message,
          records: chunk.length,
        });
      }
    }
  }
  return outcome;
}

/**
 * The mirror for a realtime-consumer environment: the SDK is loaded and the
 * client created only when the mirror is on.
 */
export async function createTimestreamMirror(
  settings: TimestreamSettings,
  log: MirrorLog,
  options: { maxAttempts?: number } = {},
): Promise<TimestreamMirror> {
  const { TimestreamWriteClient } = await import('@aws-sdk/client-timestream-write');
  const client = new TimestreamWriteClient({
    region: process.env.AWS_REGION ?? 'us-east-1',
    // A Timestream that hangs must not hold the consumer until its timeout.
    ...awsClientConfig({ maxAttempts: options.maxAttempts ?? 3 }),
    // With an explicit endpoint the client skips endpoint discovery; setting
    // endpointDiscoveryEnabled as well would make it throw.
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
  });
  return (events) =>
    events.length === 0
      ? Promise.resolve({ written: 0, rejected: 0, failed: 0 })
      : writeToTimestream(client, settings, events, log);
}
