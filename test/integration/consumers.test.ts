import type { Context, KinesisStreamRecord } from 'aws-lambda';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createHandler as createBatchHandler } from '../../lambdas/batch-consumer/index.ts';
import { createHandler as createRealtimeHandler } from '../../lambdas/realtime-consumer/index.ts';
import { encodePriceEvent } from '../../lambdas/shared/price-event.ts';
import { priceEvent } from '../support/events.ts';
import {
  asEvent,
  createStream,
  putRaw,
  readAsLambdaRecords,
  testKinesis,
} from '../support/kinesis.ts';
import { migratedDatabase } from '../support/migrated-db.ts';

const context = { getRemainingTimeInMillis: () => 30_000 } as Context;
const kinesis = testKinesis();
let pool: pg.Pool;
let stream = 0;

beforeAll(async () => {
  ({ pool } = await migratedDatabase('consumers'));
});
afterAll(async () => {
  await pool.end();
});

/** Puts payloads on a fresh real stream and reads them back as Lambda records. */
async function recordsFor(
  payloads: Array<Uint8Array>,
  key = 'BTC-USD',
): Promise<KinesisStreamRecord[]> {
  const name = `consumers-${process.pid}-${++stream}`;
  const arn = await createStream(kinesis, name);
  await putRaw(
    kinesis,
    name,
    payloads.map((data) => ({ key, data })),
  );
  return readAsLambdaRecords(kinesis, name, arn);
}

/** A pool to a port where nothing listens: PostgreSQL unavailable, for real. */
function unreachablePool(): pg.Pool {
  const dead = new pg.Pool({
    connectionString: 'postgres://postgres:postgres@127.0.0.1:9/none',
    connectionTimeoutMillis: 500,
  });
  dead.on('error', () => {});
  return dead;
}

const rowsOf = async (consumer: string, ids: string[]) =>
  (
    await pool.query(
      `SELECT *, processed_at >= received_at AS processed_after_received,
              received_at >= ingested_at AS received_after_ingested
         FROM silver.prices WHERE consumer = $1 AND event_id = ANY($2) ORDER BY event_id`,
      [consumer, ids],
    )
  ).rows;

describe.each([
  ['realtime', createRealtimeHandler],
  ['batch', createBatchHandler],
] as const)('%s consumer', (consumer, createHandler) => {
  const handler = createHandler({ db: async () => pool });

  it('writes every valid record with its timing columns', async () => {
    const events = [
      priceEvent(),
      priceEvent({ symbol: 'ETH-USD', base: 'ETH', price: 2950.5, bid: null, tradeId: null }),
    ];
    const records = await recordsFor(events.map(encodePriceEvent));

    const response = await handler(asEvent(records), context);

    expect(response).toEqual({ batchItemFailures: [] });
    const rows = await rowsOf(
      consumer,
      events.map((e) => e.eventId),
    );
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const event = events.find((e) => e.eventId === row.event_id);
      const record = records.find((r) => r.kinesis.sequenceNumber === row.sequence_number);
      expect(row).toMatchObject({
        symbol: event?.symbol,
        price: event?.price,
        bid: event?.bid,
        trade_id: event?.tradeId === null ? null : String(event?.tradeId),
        shard_id: 'shardId-000000000000',
        processed_after_received: true,
        received_after_ingested: true,
      });
      expect(row.fetched_at.toISOString()).toBe(event?.fetchedAt);
      expect(row.ingested_at.getTime()).toBe(
        Math.round((record?.kinesis.approximateArrivalTimestamp ?? 0) * 1000),
      );
    }
  });

  it('keeps malformed records with a reason and is not retried for them', async () => {
    const good = priceEvent();
    const payloads = [
      Buffer.from('not json at all'),
      encodePriceEvent(good),
      Buffer.from(JSON.stringify({ ...priceEvent(), v: 9 })),
      Buffer.from(JSON.stringify({ ...priceEvent(), price: -3 })),
    ];
    const records = await recordsFor(payloads);

    const response = await handler(asEvent(records), context);

    expect(response.batchItemFailures).toEqual([]);
    expect(await rowsOf(consumer, [good.eventId])).toHaveLength(1);
    const { rows } = await pool.query(
      'SELECT sequence_number, reason, payload FROM silver.rejected_events WHERE consumer = $1 AND sequence_number = ANY($2) ORDER BY sequence_number',
      [consumer, records.map((r) => r.kinesis.sequenceNumber)],
    );
    expect(rows.map((r) => r.reason)).toEqual([
      'not JSON',
      'unknown version v=9',
      'price must be a finite positive number, got -3',
    ]);
    expect(rows[0].payload.toString()).toBe('not json at all');
  });

  it('judges "in the future" by its own clock, and records that clock as received_at', async () => {
    const hourAhead = Date.now() + 3_600_000;
    const fetchedAt = new Date(hourAhead - 500).toISOString();
    const early = priceEvent({ fetchedAt, eventTime: fetchedAt });
    const late = priceEvent({ fetchedAt, eventTime: fetchedAt });
    const records = await recordsFor([encodePriceEvent(early), encodePriceEvent(late)]);
    // A database of its own: rejects are unique per shard and sequence
    // number, which records of the other tests' streams may share.
    const own = await migratedDatabase('consumers_clock');
    onTestFinished(() => own.pool.end());

    await createHandler({ db: async () => own.pool })(asEvent(records.slice(0, 1)), context);
    await createHandler({ db: async () => own.pool, clock: () => hourAhead })(
      asEvent(records.slice(1)),
      context,
    );

    const { rows: rejected } = await own.pool.query(
      'SELECT reason FROM silver.rejected_events WHERE consumer = $1',
      [consumer],
    );
    expect(rejected.map((r) => r.reason)).toEqual([`eventTime is in the future: ${fetchedAt}`]);
    const { rows: stored } = await own.pool.query(
      'SELECT event_id, received_at FROM silver.prices WHERE consumer = $1',
      [consumer],
    );
    expect(stored).toEqual([{ event_id: late.eventId, received_at: new Date(hourAhead) }]);
  });

  it('stores a record delivered twice, or re-published with the same event id, once', async () => {
    const event = priceEvent();
    const records = await recordsFor([encodePriceEvent(event), encodePriceEvent(event)]);
    expect(records).toHaveLength(2); // a producer retry: two sequence numbers, one event

    await handler(asEvent(records), context);
    await handler(asEvent(records), context); // redelivery

    expect(await rowsOf(consumer, [event.eventId])).toHaveLength(1);
  });

  it('fails the batch while PostgreSQL is unavailable, and the retry lands every record once', async () => {
    const events = [priceEvent(), priceEvent(), priceEvent()];
    const records = await recordsFor(events.map(encodePriceEvent));
    const dead = unreachablePool();

    await expect(
      createHandler({ db: async () => dead })(asEvent(records), context),
    ).rejects.toThrow();
    expect(
      await rowsOf(
        consumer,
        events.map((e) => e.eventId),
      ),
    ).toHaveLength(0);

    const retried = await handler(asEvent(records), context);
    await dead.end();

    expect(retried.batchItemFailures).toEqual([]);
    expect(
      await rowsOf(
        consumer,
        events.map((e) => e.eventId),
      ),
    ).toHaveLength(3);
  });
});

describe('realtime consumer partial batch response', () => {
  it('reports the records after a database failure, and only those', async () => {
    const events = [priceEvent(), priceEvent(), priceEvent()];
    const records = await recordsFor(events.map(encodePriceEvent));
    const dead = unreachablePool();
    let calls = 0;
    const handler = createRealtimeHandler({ db: async () => (++calls === 1 ? pool : dead) });

    const response = await handler(asEvent(records), context);
    await dead.end();

    expect(response.batchItemFailures).toEqual(
      records.slice(1).map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })),
    );
    expect(
      await rowsOf(
        'realtime',
        events.map((e) => e.eventId),
      ),
    ).toHaveLength(1);
  });
});
