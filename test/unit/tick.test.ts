import { describe, expect, it } from 'vitest';
import type { PriceEvent } from '../../lambdas/shared/price-event.ts';
import { type PriceSource, SourceError } from '../../lambdas/shared/sources/quote.ts';
import { SimulatedMarket } from '../../lambdas/shared/sources/sim.ts';
import { runTick, tickTimes } from '../../lambdas/shared/tick.ts';

describe('tickTimes', () => {
  it('ticks at the start and then every interval within one period', () => {
    const start = Date.parse('2026-11-25T17:24:41Z');
    const ticks = tickTimes(start, 60_000, 10_000).map((t) =>
      new Date(t).toISOString().slice(11, 19),
    );
    expect(ticks).toEqual(['17:24:41', '17:24:51', '17:25:01', '17:25:11', '17:25:21', '17:25:31']);
  });

  it('leaves neither a gap nor an overlap between consecutive invocations', () => {
    const start = Date.parse('2026-11-25T17:00:07Z');
    const first = tickTimes(start, 60_000, 10_000);
    const second = tickTimes(start + 60_000, 60_000, 10_000);
    expect(first).toHaveLength(6);
    expect(second[0]).toBe((first.at(-1) as number) + 10_000);
  });
});

describe('runTick', () => {
  const lines: string[] = [];
  const log = {
    info: (message: string) => lines.push(`info ${message}`),
    warn: (message: string) => lines.push(`warn ${message}`),
  };

  it('publishes the priced symbols and skips a failing one with a clear line', async () => {
    lines.length = 0;
    const sim = new SimulatedMarket(3);
    const source: PriceSource = {
      name: 'coinbase',
      fetch: async (symbols, tick) =>
        symbols.map((symbol) =>
          symbol === 'SOL-USD'
            ? {
                ok: false,
                error: new SourceError(symbol, 'rate-limited', 'HTTP 429 Too Many Requests'),
              }
            : { ok: true, quote: sim.quote(symbol, tick) },
        ),
    };
    const published: PriceEvent[] = [];
    const summary = await runTick(
      {
        source,
        log,
        publish: async (events) => {
          published.push(...events);
          return { sent: events.length, failed: [], attempts: 1 };
        },
      },
      ['BTC-USD', 'ETH-USD', 'SOL-USD'],
      new Date('2026-11-25T17:00:10Z'),
    );
    expect(published.map((e) => e.symbol)).toEqual(['BTC-USD', 'ETH-USD']);
    expect(published[0]?.eventId).toBe(`coinbase:BTC-USD:${published[0]?.tradeId}`);
    expect(summary.sent).toBe(2);
    expect(summary.skipped).toEqual([
      { symbol: 'SOL-USD', reason: 'rate-limited: HTTP 429 Too Many Requests' },
    ]);
    expect(lines).toContain('warn SOL-USD skipped this tick');
    expect(lines.at(-1)).toBe('info 2/3 pairs sent');
    expect(lines.filter((l) => /^info (BTC|ETH)-USD \d/.test(l))).toHaveLength(2);
  });
});
