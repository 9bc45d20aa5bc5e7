/**
 * Where a shard reader goes on from when the sequence number it holds now
 * names another record. kinesis-local numbers a record by the shard, its
 * index in the shard and the second it was put: restored from an older save,
 * it gives records put within the same second as lost ones the lost ones'
 * numbers. Reading after such a number skips the records before it, so the
 * readers check the record's arrival time and, when it differs, go on from
 * the arrival time of the record they read. Built here on a real
 * kinesis-local by pairing one record's sequence number with another time.
 */
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import {
  PollingShardReader,
  type ShardRecordSource,
  type StartingPoint,
} from '../../local/kinesis/shard-reader.ts';
import { ensureStreamConsumer } from '../../local/kinesis/stream-consumers.ts';
import { SubscriptionShardReader } from '../../local/kinesis/subscription-reader.ts';
import {
  createStream,
  ids,
  putRecords,
  testKinesis,
  uniqueStreamName,
} from '../fixtures/local/harness.ts';

const SHARD = 'shardId-000000000000';

interface Stored {
  id: string;
  sequenceNumber: string;
  arrivedAt: Date;
}

/** Records 1–3, then 4–6 a little later; what the stream holds, in order. */
async function twoPuts(kinesis: KinesisClient, stream: string): Promise<Stored[]> {
  await createStream(stream);
  await putRecords(
    stream,
    ids(1, 3).map((id) => ({ id: Number(id) })),
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  await putRecords(
    stream,
    ids(4, 6).map((id) => ({ id: Number(id) })),
  );
  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({
      StreamName: stream,
      ShardId: SHARD,
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  );
  const page = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
  const stored = (page.Records ?? []).map((r) => ({
    id: String(JSON.parse(Buffer.from(r.Data ?? new Uint8Array()).toString()).id),
    sequenceNumber: r.SequenceNumber ?? '',
    arrivedAt: r.ApproximateArrivalTimestamp ?? new Date(0),
  }));
  expect(stored.map((r) => r.id)).toEqual(ids(1, 6));
  return stored;
}

/**
 * The reader's position when it read record 3 last, but the stream now gives
 * record 3's sequence number to record 6: that number with record 3's time.
 * (A millisecond after it, so that going on from that time reads 4–6 only.)
 */
function renumbered(stored: Stored[]): StartingPoint {
  const [third, fourth, sixth] = [stored[2], stored[3], stored[5]] as [Stored, Stored, Stored];
  const arrivedAt = new Date(third.arrivedAt.getTime() + 1);
  expect(fourth.arrivedAt.getTime()).toBeGreaterThan(arrivedAt.getTime());
  return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: sixth.sequenceNumber, arrivedAt };
}

/** After record 3, as read. */
function asRead(stored: Stored[]): StartingPoint {
  const third = stored[2] as Stored;
  return {
    type: 'AFTER_SEQUENCE_NUMBER',
    sequenceNumber: third.sequenceNumber,
    arrivedAt: third.arrivedAt,
  };
}

async function readIds(reader: ShardRecordSource, count: number): Promise<string[]> {
  const stop = new AbortController();
  const got: string[] = [];
  const deadline = Date.now() + 5_000;
  try {
    while (got.length < count && Date.now() < deadline) {
      const { records } = await reader.read(stop.signal);
      for (const r of records) got.push(String(JSON.parse(Buffer.from(r.data).toString()).id));
      await new Promise((resolve) => setTimeout(resolve, reader.idleDelayMs));
    }
    // Anything more would be a record read twice.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    for (const r of (await reader.read(stop.signal)).records) {
      got.push(String(JSON.parse(Buffer.from(r.data).toString()).id));
    }
    return got;
  } finally {
    stop.abort();
    reader.close?.();
  }
}

type MakeReader = (
  kinesis: KinesisClient,
  stream: string,
  start: StartingPoint,
  warnings: string[],
) => Promise<ShardRecordSource>;

const readers: Array<[string, MakeReader]> = [
  [
    'PollingShardReader',
    async (kinesis, stream, start, warnings) =>
      new PollingShardReader(kinesis, {
        streamName: stream,
        shardId: SHARD,
        start,
        limit: 100,
        pollIntervalMs: 100,
        reporter: { unavailable: () => {}, recovered: () => {}, warn: (m) => warnings.push(m) },
      }),
  ],
  [
    'SubscriptionShardReader',
    async (kinesis, stream, start, warnings) => {
      const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
      const consumerArn = await ensureStreamConsumer(
        kinesis,
        summary.StreamDescriptionSummary?.StreamARN ?? '',
        'positions',
      );
      return new SubscriptionShardReader(kinesis, {
        consumerArn,
        streamName: stream,
        shardId: SHARD,
        start,
        reporter: { unavailable: () => {}, recovered: () => {}, warn: (m) => warnings.push(m) },
      });
    },
  ],
];

describe.each(readers)('%s, going on after a sequence number', (_name, makeReader) => {
  /** Puts 1–6, then reads from `position(stored)`: the ids read and the warnings given. */
  const readFrom = async (prefix: string, position: (stored: Stored[]) => StartingPoint) => {
    const kinesis = testKinesis();
    try {
      const stream = uniqueStreamName(prefix);
      const stored = await twoPuts(kinesis, stream);
      const warnings: string[] = [];
      const reader = await makeReader(kinesis, stream, position(stored), warnings);
      return { read: await readIds(reader, 3), warnings };
    } finally {
      kinesis.destroy();
    }
  };

  it('reads what follows the record it read, when the number still names that record', async () => {
    const { read, warnings } = await readFrom('positions-kept', asRead);

    expect(read).toEqual(ids(4, 6));
    expect(warnings).toEqual([]);
  });

  it('goes on from the arrival time of the record it read, when the number now names another', async () => {
    const { read, warnings } = await readFrom('positions-renumbered', renumbered);

    expect(read).toEqual(ids(4, 6));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/is not the one read there .*; (reading|subscribing) at /);
  });
});
