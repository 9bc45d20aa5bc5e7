import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHandler as createRealtimeHandler } from '../../lambdas/realtime-consumer/index.ts';
import { createConsumerMetrics } from '../../lambdas/shared/metrics.ts';
import { encodePriceEvent, type PriceEvent } from '../../lambdas/shared/price-event.ts';
import {
  createTimestreamMirror,
  TIMESTREAM_MAX_RECORDS,
  timestreamSettingsFromEnv,
} from '../../lambdas/shared/timestream.ts';
import { captureStdout, emfDocuments } from '../support/emf-output.ts';
import { priceEvent } from '../support/events.ts';
import { asEvent } from '../support/kinesis.ts';
import { migratedDatabase } from '../support/migrated-db.ts';
import { fileStream } from '../support/stream-records.ts';

type Mode = 'ok' | 'reject-eth' | 'throttle';

interface SeenRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  // biome-ignore lint/suspicious/noExplicitAny: the WriteRecords JSON, checked field by field
  body: any;
}

/**
 * A loopback stand-in for Timestream's ingestion endpoint: checks nothing
 * itself, records every request, and answers as Timestream does (awsJson1_0):
 * success, RejectedRecordsException for every ETH-USD record, or
 * ThrottlingException.
 */
async function startTimestreamStandIn() {
  const requests: SeenRequest[] = [];
  let mode: Mode = 'ok';
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const body = text ? JSON.parse(text) : undefined;
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      const reply = (status: number, payload: unknown, errorType?: string) => {
        res.writeHead(status, {
          'Content-Type': 'application/x-amz-json-1.0',
          ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
          'x-amzn-RequestId': `req-${requests.length}`,
        });
        res.end(JSON.stringify(payload));
      };
      const records = (body?.Records ?? []) as Array<{ Dimensions: Array<{ Value: string }> }>;
      if (mode === 'throttle') {
        return reply(
          400,
          {
            __type: 'com.amazonaws.timestream.v20181101#ThrottlingException',
            message: 'Rate exceeded',
          },
          'ThrottlingException',
        );
      }
      const rejected = records
        .map((r, i) => ({ i, symbol: r.Dimensions.find((d) => d.Value.includes('-'))?.Value }))
        .filter((r) => mode === 'reject-eth' && r.symbol === 'ETH-USD');
      if (rejected.length > 0) {
        return reply(
          400,
          {
            __type: 'com.amazonaws.timestream.v20181101#RejectedRecordsException',
            message: 'One or more records have been rejected. See RejectedRecords for details.',
            RejectedRecords: rejected.map((r) => ({
              RecordIndex: r.i,
              Reason:
                'A record with the same time, dimensions and measure name already exists with different measure values.',
              ExistingVersion: 1,
            })),
          },
          'RejectedRecordsException',
        );
      }
      return reply(200, {
        RecordsIngested: { Total: records.length, MemoryStore: records.length, MagneticStore: 0 },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    setMode: (next: Mode) => {
      mode = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let standIn: Awaited<ReturnType<typeof startTimestreamStandIn>>;
const settings = () => ({
  databaseName: 'pricestream',
  tableName: 'prices',
  endpoint: standIn.endpoint,
});
const log = { warn: vi.fn() };

beforeAll(async () => {
  standIn = await startTimestreamStandIn();
});
afterAll(async () => {
  await standIn.close();
});
afterEach(() => {
  standIn.requests.length = 0;
  standIn.setMode('ok');
  log.warn.mockClear();
  vi.unstubAllEnvs();
});

/** A whole second a minute ago: the first event's time. */
const BASE_TIME = Math.floor(Date.now() / 1000) * 1000 - 60_000;

const events = (n: number, symbol = 'BTC-USD') =>
  Array.from({ length: n }, (_, i) =>
    priceEvent({
      symbol,
      base: symbol.split('-')[0] as string,
      price: 100 + i,
      eventTime: new Date(BASE_TIME + i * 10).toISOString(),
    }),
  );

describe('Timestream writer', () => {
  it('sends WriteRecords (awsJson1_0) in calls of at most 100 multi-measure records, with no endpoint discovery', async () => {
    const mirror = await createTimestreamMirror(settings(), log);
    const prices = events(250);

    const outcome = await mirror(prices);

    expect(outcome).toEqual({ written: 250, rejected: 0, failed: 0 });
    // An explicit endpoint: no DescribeEndpoints call, every request is WriteRecords.
    expect(standIn.requests.map((r) => r.headers['x-amz-target'])).toEqual([
      'Timestream_20181101.WriteRecords',
      'Timestream_20181101.WriteRecords',
      'Timestream_20181101.WriteRecords',
    ]);
    expect(standIn.requests.map((r) => r.body.Records.length)).toEqual([100, 100, 50]);
    for (const request of standIn.requests) {
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/');
      expect(request.headers['content-type']).toBe('application/x-amz-json-1.0');
      expect(request.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 .*\/timestream\/aws4_request/,
      );
      expect(request.body).toMatchObject({ DatabaseName: 'pricestream', TableName: 'prices' });
      expect(request.body.Records.length).toBeLessThanOrEqual(TIMESTREAM_MAX_RECORDS);
    }
    const first = prices[0] as PriceEvent;
    expect(standIn.requests[0]?.body.Records[0]).toEqual({
      Dimensions: [
        { Name: 'symbol', Value: 'BTC-USD' },
        { Name: 'source', Value: 'sim' },
      ],
      MeasureName: 'quote',
      MeasureValueType: 'MULTI',
      MeasureValues: [
        { Name: 'price', Value: '100', Type: 'DOUBLE' },
        { Name: 'bid', Value: String(first.bid), Type: 'DOUBLE' },
        { Name: 'ask', Value: String(first.ask), Type: 'DOUBLE' },
        { Name: 'volume_24h', Value: String(first.volume24h), Type: 'DOUBLE' },
      ],
      Time: String(BASE_TIME),
      TimeUnit: 'MILLISECONDS',
    });
  });

  it('leaves out the measures a price does not have', async () => {
    const mirror = await createTimestreamMirror(settings(), log);

    await mirror([priceEvent({ bid: null, ask: null, volume24h: null })]);

    expect(standIn.requests[0]?.body.Records[0].MeasureValues).toEqual([
      { Name: 'price', Value: '86746.07', Type: 'DOUBLE' },
    ]);
  });

  it('counts and logs the records Timestream rejects; the others of the call are written', async () => {
    standIn.setMode('reject-eth');
    const mirror = await createTimestreamMirror(settings(), log);
    const eth = events(1, 'ETH-USD')[0] as PriceEvent;

    const outcome = await mirror([...events(2), eth]);

    expect(outcome).toEqual({ written: 2, rejected: 1, failed: 0 });
    expect(standIn.requests).toHaveLength(1); // a rejection is an answer, not retried
    expect(log.warn).toHaveBeenCalledWith('Timestream rejected a record', {
      reason: expect.stringMatching(/already exists/),
      existingVersion: 1,
      eventId: eth.eventId,
      symbol: 'ETH-USD',
    });
  });

  it('gives up on throttling after the SDK’s retries, counting the records as failed, never throwing', async () => {
    standIn.setMode('throttle');
    const mirror = await createTimestreamMirror(settings(), log, { maxAttempts: 2 });

    const outcome = await mirror(events(3));

    expect(outcome).toEqual({ written: 0, rejected: 0, failed: 3 });
    expect(standIn.requests).toHaveLength(2);
    expect(log.warn).toHaveBeenCalledWith('Timestream write failed; PostgreSQL has the rows', {
      errorName: 'ThrottlingException',
      error: 'Rate exceeded',
      records: 3,
    });
  });

  it('is off unless both names are set, and names what is missing', () => {
    expect(timestreamSettingsFromEnv({})).toBeUndefined();
    expect(
      timestreamSettingsFromEnv({ TIMESTREAM_DATABASE_NAME: 'db', TIMESTREAM_TABLE_NAME: 't' }),
    ).toEqual({ databaseName: 'db', tableName: 't', endpoint: undefined });
    expect(() => timestreamSettingsFromEnv({ TIMESTREAM_DATABASE_NAME: 'db' })).toThrow(
      'Missing environment variable TIMESTREAM_TABLE_NAME',
    );
    expect(() =>
      timestreamSettingsFromEnv({
        TIMESTREAM_DATABASE_NAME: 'db',
        TIMESTREAM_TABLE_NAME: 't',
        TIMESTREAM_ENDPOINT: 'ingest.example',
      }),
    ).toThrow(/TIMESTREAM_ENDPOINT must be an http\(s\) URL/);
  });
});

describe('realtime consumer with the Timestream mirror', () => {
  const context = { getRemainingTimeInMillis: () => 30_000 } as Context;
  let pool: pg.Pool;
  let stream: Awaited<ReturnType<typeof fileStream>>;

  beforeAll(async () => {
    ({ pool } = await migratedDatabase('timestream'));
    stream = await fileStream('timestream');
  });
  afterAll(async () => {
    await stream.delete();
    await pool.end();
  });

  const recordsFor = (prices: PriceEvent[]) => stream.recordsFor(prices.map(encodePriceEvent));

  const stored = async (prices: PriceEvent[]) =>
    (
      await pool.query(
        "SELECT count(*)::int AS n FROM silver.prices WHERE consumer = 'realtime' AND event_id = ANY($1)",
        [prices.map((e) => e.eventId)],
      )
    ).rows[0].n;

  it('mirrors the rows PostgreSQL took, once, and says so in its metrics', async () => {
    const prices = [priceEvent(), priceEvent()];
    const records = await recordsFor([...prices, prices[0] as PriceEvent]);
    const handler = createRealtimeHandler({
      db: async () => pool,
      metrics: createConsumerMetrics('realtime'),
      timestream: await createTimestreamMirror(settings(), log),
    });

    const { result, lines } = await captureStdout(() => handler(asEvent(records), context));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(await stored(prices)).toBe(2);
    const mirrored = standIn.requests.flatMap((r) => r.body.Records);
    expect(mirrored).toHaveLength(2); // the duplicate is not written again
    const [doc] = emfDocuments(lines);
    expect(doc).toMatchObject({
      RecordsWritten: 2,
      DuplicatesSkipped: 1,
      TimestreamRecordsWritten: 2,
      TimestreamRecordsRejected: 0,
      TimestreamWriteFailures: 0,
    });
  });

  it('writes to PostgreSQL and succeeds while Timestream throttles', async () => {
    standIn.setMode('throttle');
    const prices = [priceEvent()];
    const records = await recordsFor(prices);
    const handler = createRealtimeHandler({
      db: async () => pool,
      metrics: createConsumerMetrics('realtime'),
      timestream: await createTimestreamMirror(settings(), log, { maxAttempts: 2 }),
    });

    const { result, lines } = await captureStdout(() => handler(asEvent(records), context));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(await stored(prices)).toBe(1);
    const [doc] = emfDocuments(lines);
    expect(doc).toMatchObject({ RecordsWritten: 1, TimestreamWriteFailures: 1 });
  });

  it('writes to PostgreSQL and succeeds when Timestream rejects the record', async () => {
    standIn.setMode('reject-eth');
    const prices = events(1, 'ETH-USD');
    const records = await recordsFor(prices);
    const handler = createRealtimeHandler({
      db: async () => pool,
      metrics: createConsumerMetrics('realtime'),
      timestream: await createTimestreamMirror(settings(), log),
    });

    const { result, lines } = await captureStdout(() => handler(asEvent(records), context));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(await stored(prices)).toBe(1);
    const [doc] = emfDocuments(lines);
    expect(doc).toMatchObject({ RecordsWritten: 1, TimestreamRecordsRejected: 1 });
  });
});
