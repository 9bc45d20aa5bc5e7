/**
 * What patches/kinesis-local+0.6.2.patch adds to kinesis-local, on the real
 * (patched) server: records dropped per shard on request, numbering that
 * goes on after a trim, and saves that keep it across a restart. Each test
 * fails on a stock kinesis-local (the trim request becomes a tag, and every
 * record stays).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AddTagsToStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListTagsForStreamCommand,
} from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { TRIM_TAG } from '../../local/kinesis/retention.ts';
import { type KinesisService, startKinesisLocal } from '../../local/services/kinesis.ts';
import {
  createStream,
  putRecords,
  testKinesis,
  uniqueStreamName,
  waitFor,
} from '../fixtures/local/harness.ts';

const PORT = Number(process.env.PRICESTREAM_TEST_KINESIS_PATCH_PORT ?? 4738);
const SHARD = 'shardId-000000000000';

let own: KinesisService | undefined;
let dir: string | undefined;
afterEach(async () => {
  await own?.stop();
  own = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function readAll(kinesis: KinesisClient, stream: string) {
  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({
      StreamName: stream,
      ShardId: SHARD,
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  );
  const page = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 1000 }));
  return (page.Records ?? []).map((record) => ({
    id: JSON.parse(Buffer.from(record.Data ?? new Uint8Array()).toString()).id as number,
    sequenceNumber: record.SequenceNumber as string,
    arrived: record.ApproximateArrivalTimestamp?.getTime() ?? Number.NaN,
  }));
}

const trimBefore = (kinesis: KinesisClient, stream: string, at: Date) =>
  kinesis.send(
    new AddTagsToStreamCommand({
      StreamName: stream,
      Tags: { [`${TRIM_TAG}${SHARD}`]: String(at.getTime()) },
    }),
  );

const bodies = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ id: from + i }));

describe('patched kinesis-local', () => {
  it('drops the records that arrived before the time asked, keeps the newest, and numbers new records after it', async () => {
    const stream = uniqueStreamName('patch-trim');
    await createStream(stream);
    const kinesis = testKinesis();
    try {
      const first = await putRecords(stream, bodies(1, 5));
      // 1-5 arrived together; 6-7 a millisecond later at least.
      const arrived = (await readAll(kinesis, stream))[0]?.arrived ?? Number.NaN;
      await waitFor(() => Date.now() > arrived, 1_000, 'the clock to move on');
      await putRecords(stream, bodies(6, 7));

      await trimBefore(kinesis, stream, new Date(arrived + 1));
      expect((await readAll(kinesis, stream)).map((r) => r.id)).toEqual([6, 7]);
      // The request is not kept as a tag.
      const { Tags } = await kinesis.send(new ListTagsForStreamCommand({ StreamName: stream }));
      expect(Tags ?? []).toEqual([]);

      // Everything is older than this; the newest record stays all the same.
      await trimBefore(kinesis, stream, new Date(Date.now() + 60_000));
      const kept = await readAll(kinesis, stream);
      expect(kept.map((r) => r.id)).toEqual([7]);

      // Numbered after the last record, not by how many the shard holds:
      // unique and increasing, past every number handed out before.
      const later = await putRecords(stream, bodies(8, 9));
      const all = [...first, kept[0]?.sequenceNumber as string, ...later].map(BigInt);
      expect([...all].sort((a, b) => (a < b ? -1 : 1))).toEqual(all);
      expect(new Set(all).size).toBe(all.length);
      expect((await readAll(kinesis, stream)).map((r) => r.id)).toEqual([7, 8, 9]);

      // A position that was dropped is not found (the reader then resumes
      // from the record's arrival time, see shard-reader.ts).
      await expect(
        kinesis.send(
          new GetShardIteratorCommand({
            StreamName: stream,
            ShardId: SHARD,
            ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
            StartingSequenceNumber: first[0],
          }),
        ),
      ).rejects.toThrow(/SequenceNumber/);
    } finally {
      kinesis.destroy();
    }
  });

  it('saves what it keeps: after a restart the trimmed stream and its numbering are as they were', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pricestream-kinesis-patch-'));
    own = await startKinesisLocal({ port: PORT, persistDir: dir, persistIntervalSeconds: 1 });
    const stream = uniqueStreamName('patch-save');
    await createStream(stream, 1, own.endpoint);
    let kinesis = testKinesis(own.endpoint);
    try {
      await putRecords(stream, bodies(1, 3), 'k', own.endpoint);
      await trimBefore(kinesis, stream, new Date(Date.now() + 60_000));
      const before = await readAll(kinesis, stream);
      expect(before.map((r) => r.id)).toEqual([3]);
      kinesis.destroy();
      // SIGTERM: kinesis-local saves, then exits.
      await own.stop();

      own = await startKinesisLocal({ port: PORT, persistDir: dir });
      kinesis = testKinesis(own.endpoint);
      expect(await readAll(kinesis, stream)).toEqual(before);
      const [next] = await putRecords(stream, bodies(4, 4), 'k', own.endpoint);
      expect(BigInt(next as string) > BigInt(before[0]?.sequenceNumber as string)).toBe(true);
      expect((await readAll(kinesis, stream)).map((r) => r.id)).toEqual([3, 4]);
    } finally {
      kinesis.destroy();
    }
  });
});
