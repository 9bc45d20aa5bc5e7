/**
 * The floors the pipeline is measured against, on the same servers: what a
 * bare client gets from kinesis-local and PostgreSQL with nothing of ours in
 * between.
 *
 * - Kinesis put→get: one PutRecord at a time, read by a GetRecords loop with
 *   no delay; latency from the start of the put to the receipt.
 * - Bare reader throughput: records/s a plain GetRecords reader (one per
 *   shard, Limit 10,000, no delay) drains from a preloaded stream.
 * - PostgreSQL: the realtime consumer's own INSERT, one row per statement on
 *   one connection, into a copy of silver.prices.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
  PutRecordCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import pg from 'pg';
import { encodePriceEvent } from '../lambdas/shared/price-event.ts';
import { SimulatedMarket } from '../lambdas/shared/sources/sim.ts';
import { readSql } from '../lambdas/shared/sql.ts';
import { toPriceEvent } from '../lambdas/shared/tick.ts';
import { type Percentiles, percentiles, round } from './stats.ts';

export interface KinesisFloor {
  putToGetMs: Percentiles | null;
  /** The PutRecord call alone. */
  putMs: Percentiles | null;
}

export interface ReaderFloor {
  records: number;
  shards: number;
  /** Records/s PutRecords (500 per call, one call at a time) took while preloading. */
  putPerSecond: number;
  /** Records/s the bare readers drained. */
  readPerSecond: number;
}

export interface PostgresFloor {
  insertMs: Percentiles | null;
}

const market = new SimulatedMarket(7);
let nextId = 1;

/** A price event like the pipeline's, so payload sizes match. */
function eventBytes(symbol: string): Buffer {
  const quote = market.quote(symbol, new Date());
  return encodePriceEvent(toPriceEvent('sim', { ...quote, tradeId: nextId++ }));
}

async function createStream(kinesis: KinesisClient, prefix: string, shards: number) {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (;;) {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return name;
    await sleep(50);
  }
}

async function iterator(
  kinesis: KinesisClient,
  stream: string,
  shardId: string,
  type: 'LATEST' | 'TRIM_HORIZON',
): Promise<string> {
  const out = await kinesis.send(
    new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: type }),
  );
  if (!out.ShardIterator) throw new Error(`no iterator for ${stream}/${shardId}`);
  return out.ShardIterator;
}

export async function measureKinesisFloor(
  kinesis: KinesisClient,
  options: { samples: number; intervalMs: number },
): Promise<KinesisFloor> {
  const stream = await createStream(kinesis, 'bench-floor', 1);
  let shardIterator: string | undefined = await iterator(
    kinesis,
    stream,
    'shardId-000000000000',
    'LATEST',
  );
  const sentAt = new Map<string, number>();
  const putToGet: number[] = [];
  let done = false;
  const reader = (async () => {
    while (!done && shardIterator) {
      const page: GetRecordsCommandOutput = await kinesis.send(
        new GetRecordsCommand({ ShardIterator: shardIterator, Limit: 1000 }),
      );
      const now = performance.now();
      for (const record of page.Records ?? []) {
        const start = sentAt.get(record.PartitionKey ?? '');
        if (start !== undefined) putToGet.push(now - start);
      }
      shardIterator = page.NextShardIterator;
    }
  })();
  const putMs: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    const key = `sample-${i}`;
    const data = eventBytes('BTC-USD');
    const start = performance.now();
    sentAt.set(key, start);
    await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: key, Data: data }));
    putMs.push(performance.now() - start);
    // Spread over the reader's cycle, so the floor is an average over it.
    await sleep(options.intervalMs * (0.5 + Math.random()));
  }
  const deadline = Date.now() + 5_000;
  while (putToGet.length < options.samples && Date.now() < deadline) await sleep(20);
  done = true;
  await reader;
  await deleteStream(kinesis, stream);
  return { putToGetMs: percentiles(putToGet), putMs: percentiles(putMs) };
}

export async function measureReaderFloor(
  kinesis: KinesisClient,
  options: { records: number; shards: number; symbols: string[] },
): Promise<ReaderFloor> {
  const stream = await createStream(kinesis, 'bench-reader', options.shards);
  const perShard = new Map<string, number>();
  const putStart = performance.now();
  for (let i = 0; i < options.records; i += 500) {
    const count = Math.min(500, options.records - i);
    const out = await kinesis.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: Array.from({ length: count }, (_, j) => {
          const symbol = options.symbols[(i + j) % options.symbols.length] as string;
          return { PartitionKey: symbol, Data: eventBytes(symbol) };
        }),
      }),
    );
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records not put`);
    for (const record of out.Records ?? []) {
      const shard = record.ShardId ?? '';
      perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
    }
  }
  const putSeconds = (performance.now() - putStart) / 1000;

  const readStart = performance.now();
  await Promise.all(
    [...perShard].map(async ([shardId, expected]) => {
      let shardIterator: string | undefined = await iterator(
        kinesis,
        stream,
        shardId,
        'TRIM_HORIZON',
      );
      let read = 0;
      while (read < expected && shardIterator) {
        const page: GetRecordsCommandOutput = await kinesis.send(
          new GetRecordsCommand({ ShardIterator: shardIterator, Limit: 10_000 }),
        );
        read += page.Records?.length ?? 0;
        shardIterator = page.NextShardIterator;
      }
    }),
  );
  const readSeconds = (performance.now() - readStart) / 1000;
  // Gone again, so the records do not slow kinesis-local down for what follows.
  await deleteStream(kinesis, stream);
  return {
    records: options.records,
    shards: options.shards,
    putPerSecond: round(options.records / putSeconds, 0),
    readPerSecond: round(options.records / readSeconds, 0),
  };
}

export async function measurePostgresFloor(
  databaseUrl: string,
  options: { samples: number },
): Promise<PostgresFloor> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('CREATE SCHEMA IF NOT EXISTS bench_floor');
    await client.query('DROP TABLE IF EXISTS bench_floor.prices');
    await client.query('CREATE TABLE bench_floor.prices (LIKE silver.prices INCLUDING ALL)');
    const insert = readSql('queries/insert_silver_row.sql').replace(
      /INSERT INTO silver\.prices/,
      'INSERT INTO bench_floor.prices',
    );
    const samples: number[] = [];
    const warmUp = 20;
    for (let i = 0; i < options.samples + warmUp; i++) {
      const now = new Date();
      const start = performance.now();
      await client.query(insert, [
        'realtime',
        `sim:BTC-USD:floor-${i}`,
        'BTC-USD',
        'BTC',
        'USD',
        'sim',
        87_000 + i,
        86_999,
        87_001,
        9_500,
        i,
        now.toISOString(),
        now.toISOString(),
        now,
        now,
        'shardId-000000000000',
        String(i),
      ]);
      if (i >= warmUp) samples.push(performance.now() - start);
    }
    return { insertMs: percentiles(samples) };
  } finally {
    await client.query('DROP SCHEMA IF EXISTS bench_floor CASCADE').catch(() => {});
    await client.end();
  }
}

async function deleteStream(kinesis: KinesisClient, name: string): Promise<void> {
  await kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
