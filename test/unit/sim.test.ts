import { describe, expect, it } from 'vitest';
import { SimulatedMarket } from '../../lambdas/shared/sources/sim.ts';

const symbols = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'DOGE-USD'];

function walk(seed: number, ticks: number): number[][] {
  const market = new SimulatedMarket(seed);
  const start = Date.parse('2026-11-25T17:00:00Z');
  return Array.from({ length: ticks }, (_, i) =>
    symbols.map((s) => market.quote(s, new Date(start + i * 10_000)).price),
  );
}

describe('SimulatedMarket', () => {
  it('gives the same prices for the same seed and different ones for another seed', () => {
    expect(walk(7, 20)).toEqual(walk(7, 20));
    expect(walk(7, 20)).not.toEqual(walk(8, 20));
  });

  it('moves in small steps around plausible levels', () => {
    const prices = walk(42, 360); // an hour of 10 s ticks
    const btc = prices.map((p) => p[0] as number);
    expect(Math.min(...btc)).toBeGreaterThan(70_000);
    expect(Math.max(...btc)).toBeLessThan(105_000);
    for (let i = 1; i < prices.length; i++) {
      symbols.forEach((_, s) => {
        const step = Math.abs((prices[i]?.[s] as number) / (prices[i - 1]?.[s] as number) - 1);
        expect(step).toBeLessThan(0.01);
      });
    }
    expect(new Set(btc).size).toBeGreaterThan(300);
    expect(prices.at(-1)?.[4]).toBeGreaterThan(0.05);
  });

  it('quotes bid below ask around the price, and a trade id from the tick', () => {
    const tick = new Date('2026-11-25T17:00:10Z');
    const quote = new SimulatedMarket(1).quote('ETH-USD', tick);
    expect(quote.bid).toBeLessThan(quote.price);
    expect(quote.ask).toBeGreaterThan(quote.price);
    expect(quote.tradeId).toBe(tick.getTime() / 1000);
    expect(quote.eventTime).toBe(tick.toISOString());
    expect(quote).toMatchObject({ base: 'ETH', quote: 'USD', symbol: 'ETH-USD' });
  });
});
