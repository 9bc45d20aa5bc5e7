import type { ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHandler as createConsumer } from '../../lambdas/batch-consumer/index.ts';
import type { FetchConfig } from '../../lambdas/fetch-prices/config.ts';
import { createHandler, createSource } from '../../lambdas/fetch-prices/handler.ts';
import { createKinesisClient } from '../../lambdas/shared/kinesis-client.ts';
import { parsePriceEvent } from '../../lambdas/shared/price-event.ts';
import { publishPriceEvents } from '../../lambdas/shared/publish.ts';
import { startCoinbaseStandIn } from '../../scripts/chaos/coinbase-stand-in.ts';
import { priceEvent } from '../support/events.ts';
import { asEvent, createStream, readAsLambdaRecords, testKinesis } from '../support/kinesis.ts';
import { startKinesisFaultProxy } from '../support/kinesis-fault-proxy.ts';
import { migratedDatabase } from '../support/migrated-db.ts';

const kinesis = testKinesis();
const symbols = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'DOGE-USD'];
let streams = 0;

async function freshStream() {
  const name = `fetch-${process.pid}-${++streams}`;
  return { name, arn: await createStream(kinesis, name, 3) };
}

function scheduled(time: Date): ScheduledEvent {
  return {
    version: '0',
    id: 'test',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: time.toISOString(),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:000000000000:rule/test'],
    detail: {},
  };
}

describe('fetch-prices', () => {
  let standIn: Awaited<ReturnType<typeof startCoinbaseStandIn>>;
  beforeAll(async () => {
    standIn = await startCoinbaseStandIn({
      'BTC-USD': 86746.07,
      'ETH-USD': 2950.1,
      'SOL-USD': 140.2,
      'ADA-USD': 0.42,
      'DOGE-USD': 0.15,
    });
  });
  afterAll(async () => {
    await standIn.close();
  });

  it('ticks at once and then every interval until the next invocation is due, five symbols per tick, keyed by symbol', async () => {
    const stream = await freshStream();
    const config: FetchConfig = {
      streamName: stream.name,
      symbols,
      source: 'sim',
      coinbaseBaseUrl: standIn.baseUrl,
      coinbaseTimeoutMs: 200,
      pollIntervalSeconds: 1,
      schedulePeriodSeconds: 3,
      simSeed: 42,
    };
    const handler = createHandler(config, {
      source: createSource(config, () => {}),
      publish: (events) => publishPriceEvents(kinesis, stream.name, events),
    });
    // EventBridge's event time is to the second.
    const start = new Date(Math.floor(Date.now() / 1000) * 1000);

    const result = await handler(scheduled(start), { getRemainingTimeInMillis: () => 15_000 });

    expect(result).toEqual({ ticks: 3, sent: 15, skipped: 0, failed: 0 });
    const records = await readAsLambdaRecords(kinesis, stream.name, stream.arn);
    expect(records).toHaveLength(15);
    const events = records.map((r) => ({
      key: r.kinesis.partitionKey,
      event: parsePriceEvent(Buffer.from(r.kinesis.data, 'base64')),
    }));
    for (const { key, event } of events) expect(key).toBe(event.symbol);
    const ticks = [...new Set(events.map((e) => e.event.eventTime))].sort();
    expect(ticks).toHaveLength(3);
    for (const tick of ticks) expect(Date.parse(tick) % 1000).toBe(0);
    expect(ticks.map((tick) => Date.parse(tick) - start.getTime())).toEqual([0, 1000, 2000]);
  });

  it('publishes from Coinbase and skips a symbol that times out, the others still sent', async () => {
    const stream = await freshStream();
    standIn.always('DOGE-USD', 'hang');
    const config: FetchConfig = {
      streamName: stream.name,
      symbols,
      source: 'coinbase',
      coinbaseBaseUrl: standIn.baseUrl,
      coinbaseTimeoutMs: 200,
      pollIntervalSeconds: 1,
      schedulePeriodSeconds: 1,
      simSeed: 1,
    };
    const handler = createHandler(config, {
      source: createSource(config, () => {}),
      publish: (events) => publishPriceEvents(kinesis, stream.name, events),
    });

    const result = await handler(scheduled(new Date()), { getRemainingTimeInMillis: () => 15_000 });
    standIn.always('DOGE-USD', 'ok');

    expect(result).toMatchObject({ ticks: 1, sent: 4, skipped: 1 });
    const records = await readAsLambdaRecords(kinesis, stream.name, stream.arn);
    const published = records.map((r) => parsePriceEvent(Buffer.from(r.kinesis.data, 'base64')));
    expect(published.map((e) => e.symbol).sort()).toEqual([
      'ADA-USD',
      'BTC-USD',
      'ETH-USD',
      'SOL-USD',
    ]);
    expect(published.find((e) => e.symbol === 'BTC-USD')).toMatchObject({
      source: 'coinbase',
      price: 86746.07,
    });
    expect(published[0]?.eventId).toMatch(/^coinbase:[A-Z]+-USD:\d+$/);
  });
});

describe('PutRecords entries reported as failed', () => {
  it('are sent again, and a re-published event is stored once', async () => {
    const stream = await freshStream();
    const proxy = await startKinesisFaultProxy(inject('kinesisEndpoint'));
    const { pool } = await migratedDatabase('publish');
    try {
      const viaProxy = createKinesisClient({ endpoint: proxy.endpoint });
      const events = [
        priceEvent({ symbol: 'BTC-USD' }),
        priceEvent({ symbol: 'ETH-USD', base: 'ETH' }),
      ];
      proxy.failNext('landed', 'dropped');

      const result = await publishPriceEvents(viaProxy, stream.name, events, { backoffMs: 10 });

      expect(result).toMatchObject({ sent: 2, failed: [], attempts: 3 });
      const records = await readAsLambdaRecords(kinesis, stream.name, stream.arn);
      // BTC twice (its first "failed" entry had landed), ETH once.
      expect(records.map((r) => r.kinesis.partitionKey).sort()).toEqual([
        'BTC-USD',
        'BTC-USD',
        'ETH-USD',
      ]);
      const consumer = createConsumer({ db: async () => pool });
      await consumer(asEvent(records), { getRemainingTimeInMillis: () => 30_000 } as never);
      const { rows } = await pool.query<{ event_id: string }>(
        "SELECT event_id FROM silver.prices WHERE consumer = 'batch'",
      );
      expect(rows.map((r) => r.event_id).sort()).toEqual(events.map((e) => e.eventId).sort());
    } finally {
      await proxy.close();
      await pool.end();
    }
  });

  it('are given up after the attempts run out, and reported', async () => {
    const stream = await freshStream();
    const proxy = await startKinesisFaultProxy(inject('kinesisEndpoint'));
    try {
      proxy.failNext('dropped', 'dropped', 'dropped');
      const result = await publishPriceEvents(
        createKinesisClient({ endpoint: proxy.endpoint }),
        stream.name,
        [priceEvent()],
        {
          maxAttempts: 3,
          backoffMs: 5,
        },
      );
      expect(result.sent).toBe(0);
      expect(result.failed.map((f) => f.errorCode)).toEqual([
        'ProvisionedThroughputExceededException',
      ]);
    } finally {
      await proxy.close();
    }
  });
});
