/**
 * The synthetic producer that stands in for fetch-prices: valid price events
 * from the simulated market, published with PutRecords (the symbol as
 * partition key) exactly as fetch-prices publishes them.
 *
 * Every event gets a trade id from a counter the caller hands in, so each is
 * unique (the consumers keep one row per event id) and a phase's rows are
 * found by trade id range. fetchedAt is the real send time: the clock is
 * read just before each PutRecords, so processed_at − fetched_at is the
 * pipeline's latency and nothing of the generator's.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { PriceEvent } from '../lambdas/shared/price-event.ts';
import { publishPriceEvents } from '../lambdas/shared/publish.ts';
import { SimulatedMarket } from '../lambdas/shared/sources/sim.ts';
import { toPriceEvent } from '../lambdas/shared/tick.ts';

/**
 * `original`: every symbol once per `intervalMs` (the original system: 5
 * symbols every 10 s); `rate`: records/s, evenly over the phase; `burst`:
 * `records` as fast as PutRecords takes them (a backlog).
 */
export type LoadShape =
  | { kind: 'original'; intervalMs: number }
  | { kind: 'rate'; recordsPerSecond: number }
  | { kind: 'burst'; records: number };

export interface LoadRequest {
  streamName: string;
  symbols: string[];
  shape: LoadShape;
  durationMs: number;
  /** The first event's trade id; the next ones count up from it. */
  firstTradeId: number;
}

export interface LoadResult {
  sent: number;
  failed: number;
  firstTradeId: number;
  /** The last trade id used (sent or failed). */
  lastTradeId: number;
  /** Wall-clock ms of the first and last send. */
  startedAt: number;
  endedAt: number;
  /** sent / seconds between the start and the end of the phase. */
  achievedPerSecond: number;
  /** PutRecords calls made. */
  calls: number;
}

/** At high rates a tick every 50 ms: one PutRecords of rate/20 events. */
const RATE_TICK_MS = 50;
/** PutRecords takes at most 500 records. */
const MAX_PER_CALL = 500;

export async function generateLoad(
  kinesis: Pick<KinesisClient, 'send'>,
  request: LoadRequest,
  market = new SimulatedMarket(42),
): Promise<LoadResult> {
  let tradeId = request.firstTradeId;
  let symbolIndex = 0;
  let sent = 0;
  let failed = 0;
  let calls = 0;
  const startedAt = Date.now();
  const endsAt = startedAt + request.durationMs;

  // A rate step ends on time even when Kinesis cannot take its records as fast:
  // what was not sent by then shows as a lower achieved rate.
  // (A tick's grace: a timer firing a little late still sends the last slot.)
  const sendUntil =
    request.shape.kind === 'rate' ? endsAt + RATE_TICK_MS : Number.POSITIVE_INFINITY;
  const publish = async (count: number) => {
    const tickTime = new Date();
    const quotes = Array.from({ length: count }, () => {
      const symbol = request.symbols[symbolIndex++ % request.symbols.length] as string;
      return market.quote(symbol, tickTime);
    });
    for (let i = 0; i < quotes.length && Date.now() < sendUntil; i += MAX_PER_CALL) {
      const fetchedAt = new Date().toISOString();
      const events: PriceEvent[] = quotes.slice(i, i + MAX_PER_CALL).map((quote) =>
        toPriceEvent('sim', {
          ...quote,
          tradeId: tradeId++,
          eventTime: tickTime.toISOString(),
          fetchedAt,
        }),
      );
      const result = await publishPriceEvents(kinesis, request.streamName, events);
      calls += result.attempts;
      sent += result.sent;
      failed += result.failed.length;
    }
  };

  if (request.shape.kind === 'burst') {
    for (let left = request.shape.records; left > 0; left -= MAX_PER_CALL) {
      await publish(Math.min(MAX_PER_CALL, left));
    }
  } else if (request.shape.kind === 'original') {
    // A tick every interval while the phase lasts, each moved by up to one
    // second at random: ticks exactly 10 s apart would meet a poller that
    // reads every second at nearly the same point of its cycle every time,
    // and a short phase would measure that one point instead of the average.
    const jitterMs = Math.min(1_000, request.shape.intervalMs);
    for (let tick = startedAt; tick < endsAt; tick += request.shape.intervalMs) {
      await sleepUntil(tick + Math.random() * jitterMs);
      await publish(request.symbols.length);
    }
  } else {
    // Sends whatever the schedule owes at each tick: a slow PutRecords is made
    // up for by the next one, and a producer that cannot keep up shows as an
    // achieved rate below the one asked for.
    const perMs = request.shape.recordsPerSecond / 1000;
    const tickMs = Math.max(RATE_TICK_MS, Math.min(1000, 1 / perMs));
    const total = Math.floor(perMs * request.durationMs);
    let scheduled = 0;
    for (let tick = startedAt; tick < endsAt; tick += tickMs) {
      await sleepUntil(tick);
      // Each tick sends the records of the slot it opens.
      const elapsed = Math.min(Date.now(), endsAt) - startedAt;
      const count = Math.min(Math.floor(perMs * (elapsed + tickMs)), total) - scheduled;
      if (count > 0) {
        scheduled += count;
        await publish(count);
      }
    }
  }
  const endedAt = Date.now();
  return {
    sent,
    failed,
    firstTradeId: request.firstTradeId,
    lastTradeId: tradeId - 1,
    startedAt,
    endedAt,
    achievedPerSecond:
      sent /
      (Math.max(endedAt - startedAt, request.shape.kind === 'burst' ? 1 : request.durationMs) /
        1000),
    calls,
  };
}

function sleepUntil(time: number): Promise<void> {
  const ms = time - Date.now();
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
