/**
 * What kinesis-local costs at a given number of held records: the start
 * from a save, its RSS, a 5-entry PutRecords (what fetch-prices sends each
 * tick), the save file, and the longest request while saves run.
 *
 *   npx tsx bench/kinesis-local.ts [--records 43000] [--port 4788] [--json]
 *
 * The records are written into a save file (shaped like the pipeline's:
 * five symbols on a 3-shard stream, arrivals spread over the last day)
 * rather than put one by one, so an unpatched kinesis-local, whose puts slow
 * with every record it holds, can be measured at a day's worth too.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../lambdas/shared/kinesis-client.ts';
import { startKinesisLocal } from '../local/services/kinesis.ts';
import { rssMb } from './resources.ts';
import { percentiles } from './stats.ts';

const STREAM = 'bench-costs';

import { DEFAULT_SYMBOLS as SYMBOLS } from '../cdk/config.ts';

const DAY_MS = 86_400_000;
const SAVE_FILE = 'kinesis-data.json';

export interface KinesisCosts {
  records: number;
  /** Spawn to the first answered request, from the save. */
  startMs: number;
  rssMb: number;
  saveBytes: number;
  put5: { p50Ms: number; maxMs: number };
  /** A request every 20 ms for `probeSeconds` (two saves or more). */
  probe: { requests: number; p50Ms: number; maxMs: number; seconds: number };
}

interface SavedRecord {
  ApproximateArrivalTimestamp: number;
  Data: string;
  EncryptionType: string;
  PartitionKey: string;
  SequenceNumber: string;
}

interface SaveShard {
  key: string;
  start: bigint;
  end: bigint;
  index: number;
  createdSeconds: number;
}

/** A price event like fetch-prices puts (about 300 bytes of JSON). */
export function priceRecord(symbol: string, n: number, at: number): Buffer {
  const [base, quote] = symbol.split('-');
  return Buffer.from(
    JSON.stringify({
      v: 1,
      eventId: `sim:${symbol}:${at}:${n}`,
      source: 'sim',
      symbol,
      base,
      quote,
      price: 100 + (n % 1000) / 7,
      bid: 99.5,
      ask: 100.5,
      volume24h: 12345.678,
      tradeId: n,
      eventTime: new Date(at).toISOString(),
      fetchedAt: new Date(at).toISOString(),
    }),
  );
}

/** kinesis-mock's sequence number (SequenceNumber.create, after kinesalite). */
export function sequenceNumber(
  shardCreatedSeconds: number,
  shardIndex: number,
  seqIndex: number,
  atSeconds: number,
): string {
  const hex = (value: number, width: number) =>
    value.toString(16).padStart(width, '0').slice(-width);
  return BigInt(
    `0x2${hex(shardCreatedSeconds, 9)}${shardIndex.toString(16).slice(-1)}${hex(seqIndex, 16)}00${hex(atSeconds, 9)}${hex(shardIndex, 8)}2`,
  ).toString();
}

/**
 * Puts `count` records (arrivals spread over the day before `now`) into the
 * first stream of a save, before the records its shards already hold, which
 * are numbered again after them: like a day of records that every mapping
 * has already read (a mapping's checkpoint on one of those names it by its
 * old number, and the reader goes on from its arrival time).
 */
export async function fillSave(file: string, count: number, now: number): Promise<void> {
  const save = JSON.parse(await readFile(file, 'utf8'));
  const stream = Object.values(save.streams)[0] as { shards: Record<string, SavedRecord[]> };
  const shards: SaveShard[] = Object.keys(stream.shards).map((key) => {
    const shard = JSON.parse(key);
    return {
      key,
      start: BigInt(shard.HashKeyRange.StartingHashKey),
      end: BigInt(shard.HashKeyRange.EndingHashKey),
      index: shard.ShardIndex,
      createdSeconds: Math.floor(Date.parse(shard.CreatedAtTimestamp) / 1000),
    };
  });
  const shardOf = (key: string) => {
    const hash = BigInt(`0x${createHash('md5').update(key).digest('hex')}`);
    return shards.find((s) => hash >= s.start && hash <= s.end) as SaveShard;
  };
  const added = new Map<string, SavedRecord[]>(shards.map((s) => [s.key, []]));
  for (let n = 0; n < count; n++) {
    const at = now - DAY_MS + Math.floor((n * DAY_MS) / count);
    const symbol = SYMBOLS[n % SYMBOLS.length] as string;
    added.get(shardOf(symbol).key)?.push({
      ApproximateArrivalTimestamp: at / 1000,
      Data: priceRecord(symbol, n, at).toString('base64'),
      EncryptionType: 'NONE',
      PartitionKey: symbol,
      SequenceNumber: '',
    });
  }
  for (const shard of shards) {
    const records = [...(added.get(shard.key) ?? []), ...(stream.shards[shard.key] ?? [])];
    records.forEach((record, i) => {
      record.SequenceNumber = sequenceNumber(
        shard.createdSeconds,
        shard.index,
        i + 1,
        Math.floor(record.ApproximateArrivalTimestamp),
      );
    });
    stream.shards[shard.key] = records;
  }
  await writeFile(file, JSON.stringify(save));
}

async function waitActive(kinesis: KinesisClient): Promise<void> {
  for (;;) {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export async function measureKinesisCosts(options: {
  records: number;
  port: number;
  probeSeconds?: number;
  persistIntervalSeconds?: number;
  log?: (line: string) => void;
}): Promise<KinesisCosts> {
  const log = options.log ?? (() => {});
  const dir = await mkdtemp(path.join(tmpdir(), 'pricestream-kinesis-costs-'));
  const file = path.join(dir, SAVE_FILE);
  const client = () =>
    createKinesisClient({
      endpoint: `http://127.0.0.1:${options.port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestTimeoutMs: 120_000,
    });
  const persistIntervalSeconds = options.persistIntervalSeconds ?? 5;
  try {
    // A stream as kinesis-local makes it, saved, then filled in the save.
    let service = await startKinesisLocal({ port: options.port, persistDir: dir });
    let kinesis = client();
    await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 3 }));
    await waitActive(kinesis);
    kinesis.destroy();
    await service.stop();
    await fillSave(file, options.records, Date.now());
    log(`save with ${options.records} records written`);

    const started = performance.now();
    service = await startKinesisLocal({
      port: options.port,
      persistDir: dir,
      persistIntervalSeconds,
    });
    kinesis = client();
    await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
    const startMs = performance.now() - started;
    log(`started in ${Math.round(startMs)} ms`);

    const putTimes: number[] = [];
    for (let i = 0; i < 20; i++) {
      putTimes.push(
        await timed(() =>
          kinesis.send(
            new PutRecordsCommand({
              StreamName: STREAM,
              Records: SYMBOLS.map((symbol) => ({
                PartitionKey: symbol,
                Data: priceRecord(symbol, i, Date.now()),
              })),
            }),
          ),
        ),
      );
    }
    log(`5-entry put p50 ${(percentiles(putTimes)?.p50 ?? 0).toFixed(1)} ms`);

    const probeSeconds = options.probeSeconds ?? Math.max(12, 2.5 * persistIntervalSeconds);
    const probeTimes: number[] = [];
    const probeEnd = Date.now() + probeSeconds * 1000;
    while (Date.now() < probeEnd) {
      probeTimes.push(
        await timed(() => kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }))),
      );
      await new Promise((r) => setTimeout(r, 20));
    }
    const rss = service.pid ? rssMb(service.pid) : 0;
    const saveBytes = (await stat(file)).size;
    kinesis.destroy();
    await service.stop();
    return {
      records: options.records,
      startMs,
      rssMb: rss,
      saveBytes,
      put5: { p50Ms: percentiles(putTimes)?.p50 ?? 0, maxMs: Math.max(...putTimes) },
      probe: {
        requests: probeTimes.length,
        p50Ms: percentiles(probeTimes)?.p50 ?? 0,
        maxMs: Math.max(...probeTimes),
        seconds: probeSeconds,
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '43000' },
      port: { type: 'string', default: '4788' },
      json: { type: 'boolean', default: false },
    },
  });
  const costs = await measureKinesisCosts({
    records: Number(values.records),
    port: Number(values.port),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(costs, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(
    [
      `kinesis-local holding ${costs.records.toLocaleString('en-US')} records (3 shards):`,
      `  start from the save       ${(costs.startMs / 1000).toFixed(1)} s`,
      `  RSS                       ${costs.rssMb.toFixed(0)} MB`,
      `  save file                 ${(costs.saveBytes / 1e6).toFixed(1)} MB`,
      `  5-entry PutRecords        p50 ${costs.put5.p50Ms.toFixed(1)} ms, max ${costs.put5.maxMs.toFixed(1)} ms`,
      `  requests during saves     ${costs.probe.requests} in ${costs.probe.seconds} s: p50 ${costs.probe.p50Ms.toFixed(1)} ms, longest ${costs.probe.maxMs.toFixed(0)} ms`,
      '',
    ].join('\n'),
  );
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
