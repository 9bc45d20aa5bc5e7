import type { PriceEvent } from './price-event.ts';
import type { PublishResult } from './publish.ts';
import type { PriceSource, Quote } from './sources/quote.ts';

export interface TickSummary {
  tickTime: string;
  source: string;
  symbols: number;
  sent: number;
  skipped: Array<{ symbol: string; reason: string }>;
  failed: Array<{ symbol: string; errorCode: string }>;
}

export interface TickDeps {
  source: PriceSource;
  publish: (events: PriceEvent[]) => Promise<PublishResult>;
  log: {
    info: (message: string, extra: Record<string, unknown>) => void;
    warn: (message: string, extra: Record<string, unknown>) => void;
  };
}

export function toPriceEvent(source: 'coinbase' | 'sim', quote: Quote): PriceEvent {
  return {
    v: 1,
    eventId: `${source}:${quote.symbol}:${quote.tradeId ?? quote.fetchedAt}`,
    source,
    symbol: quote.symbol,
    base: quote.base,
    quote: quote.quote,
    price: quote.price,
    bid: quote.bid,
    ask: quote.ask,
    volume24h: quote.volume24h,
    tradeId: quote.tradeId,
    eventTime: quote.eventTime,
    fetchedAt: quote.fetchedAt,
  };
}

/** One tick: price every symbol, publish what was priced, say what was skipped. */
export async function runTick(
  deps: TickDeps,
  symbols: string[],
  tickTime: Date,
): Promise<TickSummary> {
  const results = await deps.source.fetch(symbols, tickTime);
  const source = deps.source.name;
  const events: PriceEvent[] = [];
  const skipped: TickSummary['skipped'] = [];
  for (const result of results) {
    if (result.ok) {
      events.push(toPriceEvent(source, result.quote));
    } else {
      const { symbol, kind, message } = result.error;
      skipped.push({ symbol, reason: `${kind}: ${message}` });
      deps.log.warn(`${symbol} skipped this tick`, { symbol, kind, reason: message });
    }
  }
  const published =
    events.length > 0 ? await deps.publish(events) : { sent: 0, failed: [], attempts: 0 };
  const failedIds = new Set(published.failed.map((f) => f.event.eventId));
  for (const event of events) {
    if (!failedIds.has(event.eventId)) {
      deps.log.info(`${event.symbol} ${event.price}`, {
        symbol: event.symbol,
        price: event.price,
        source,
      });
    }
  }
  const failed = published.failed.map((f) => ({ symbol: f.event.symbol, errorCode: f.errorCode }));
  for (const f of failed) {
    deps.log.warn(`${f.symbol} not sent: Kinesis kept failing (${f.errorCode})`, f);
  }
  const summary: TickSummary = {
    tickTime: tickTime.toISOString(),
    source,
    symbols: symbols.length,
    sent: published.sent,
    skipped,
    failed,
  };
  deps.log.info(`${published.sent}/${symbols.length} pairs sent`, {
    sent: published.sent,
    total: symbols.length,
    source,
  });
  return summary;
}

/**
 * Tick times of one invocation: its start, then every interval after it,
 * within [start, start + period). The first tick is at once (a new
 * `npm start` or deploy prices straight away rather than at the next round
 * ten seconds), and with a 10 s interval and a 1-minute schedule every
 * invocation ticks six times and consecutive invocations neither overlap nor
 * leave a gap. The start is the scheduled event's time, so a retried event
 * has the same ticks (and the simulated market the same event ids).
 */
export function tickTimes(startMs: number, periodMs: number, intervalMs: number): number[] {
  const times: number[] = [];
  for (let t = startMs; t < startMs + periodMs; t += intervalMs) times.push(t);
  return times;
}
