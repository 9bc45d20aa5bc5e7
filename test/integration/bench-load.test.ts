import { describe, expect, it } from 'vitest';
import { generateLoad } from '../../bench/load.ts';
import { parsePriceEvent } from '../../lambdas/shared/price-event.ts';
import { createStream, readAsLambdaRecords, testKinesis } from '../support/kinesis.ts';

const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'DOGE-USD'];

describe('bench load generator (kinesis-local)', () => {
  it('publishes valid price events at the asked rate, each with its own trade id', async () => {
    const kinesis = testKinesis();
    const stream = `bench-load-${Date.now()}`;
    const streamArn = await createStream(kinesis, stream, 3);

    const result = await generateLoad(kinesis, {
      streamName: stream,
      symbols: SYMBOLS,
      shape: { kind: 'rate', recordsPerSecond: 50 },
      durationMs: 2_000,
      firstTradeId: 1_000,
    });
    const records = await readAsLambdaRecords(kinesis, stream, streamArn);
    kinesis.destroy();

    // 50/s for 2 s owes 100 records. A rate step ends on time, so on a busy
    // machine a last slot whose timer fired late is not sent (it shows in the
    // achieved rate): allow that, but every record sent is numbered in order
    // and on the stream exactly once.
    const { sent } = result;
    expect(sent).toBeLessThanOrEqual(100);
    expect(result.achievedPerSecond).toBeGreaterThan(45);
    expect(result).toMatchObject({ failed: 0, firstTradeId: 1_000, lastTradeId: 1_000 + sent - 1 });
    const events = records.map((r) => ({
      event: parsePriceEvent(Buffer.from(r.kinesis.data, 'base64')),
      arrivedAt: r.kinesis.approximateArrivalTimestamp * 1000,
      key: r.kinesis.partitionKey,
    }));
    expect(events.map((e) => e.event.tradeId).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      Array.from({ length: sent }, (_, i) => 1_000 + i),
    );
    expect(new Set(events.map((e) => e.event.eventId)).size).toBe(sent);
    expect(new Set(events.map((e) => e.event.symbol))).toEqual(new Set(SYMBOLS));
    for (const { event, arrivedAt, key } of events) {
      expect(event.source).toBe('sim');
      expect(key).toBe(event.symbol);
      // fetchedAt is the send time: Kinesis took the record moments later.
      expect(arrivedAt - Date.parse(event.fetchedAt)).toBeGreaterThanOrEqual(-5);
      expect(arrivedAt - Date.parse(event.fetchedAt)).toBeLessThan(1_000);
    }
  });

  it('publishes every symbol once per tick at the original load', async () => {
    const kinesis = testKinesis();
    const stream = `bench-original-${Date.now()}`;
    const streamArn = await createStream(kinesis, stream, 1);

    const result = await generateLoad(kinesis, {
      streamName: stream,
      symbols: SYMBOLS,
      shape: { kind: 'original', intervalMs: 1_000 },
      durationMs: 2_000,
      firstTradeId: 1,
    });
    const records = await readAsLambdaRecords(kinesis, stream, streamArn);
    kinesis.destroy();

    expect(result).toMatchObject({ sent: 10, failed: 0, lastTradeId: 10 });
    // 10 records over the 2 s phase; the last tick may fall at its very end
    // (up to 1 s of jitter) and finish a few milliseconds after it.
    expect(result.achievedPerSecond).toBeLessThanOrEqual(5);
    expect(result.achievedPerSecond).toBeGreaterThan(4.5);
    const symbols = records.map((r) => r.kinesis.partitionKey);
    expect(symbols).toEqual([...SYMBOLS, ...SYMBOLS]);
  });
});
