import { type PriceSource, type Quote, type QuoteResult, splitSymbol } from './quote.ts';

/** Where each walk starts: plausible late-2026 levels; other pairs start at 100. */
const LEVELS: Record<string, { price: number; volume: number }> = {
  'BTC-USD': { price: 87_000, volume: 9_500 },
  'ETH-USD': { price: 2_950, volume: 180_000 },
  'SOL-USD': { price: 138, volume: 1_900_000 },
  'ADA-USD': { price: 0.42, volume: 95_000_000 },
  'DOGE-USD': { price: 0.15, volume: 650_000_000 },
};

/** Per-tick volatility of the log price (about 0.08 % per 10 s tick). */
const TICK_SIGMA = 0.0008;
const HALF_SPREAD = 0.00005;

interface Walk {
  random: () => number;
  price: number;
  volume: number;
}

/**
 * A seeded simulated market: a geometric random walk per symbol. The same
 * seed gives the same sequence of prices in one process, so runs can be
 * compared; the trade id is the tick's second, so a retried tick keeps its id.
 */
export class SimulatedMarket implements PriceSource {
  readonly name = 'sim' as const;
  private readonly walks = new Map<string, Walk>();

  constructor(private readonly seed: number) {}

  async fetch(symbols: string[], tickTime: Date): Promise<QuoteResult[]> {
    return symbols.map((symbol) => ({ ok: true, quote: this.quote(symbol, tickTime) }));
  }

  quote(symbol: string, tickTime: Date): Quote {
    const walk = this.walk(symbol);
    walk.price *= Math.exp(TICK_SIGMA * gaussian(walk.random) - (TICK_SIGMA * TICK_SIGMA) / 2);
    walk.volume *= 1 + 0.002 * gaussian(walk.random);
    const price = round(walk.price);
    return {
      symbol,
      ...splitSymbol(symbol),
      price,
      bid: round(walk.price * (1 - HALF_SPREAD)),
      ask: round(walk.price * (1 + HALF_SPREAD)),
      volume24h: Math.round(walk.volume * 1000) / 1000,
      tradeId: Math.floor(tickTime.getTime() / 1000),
      eventTime: tickTime.toISOString(),
      fetchedAt: new Date().toISOString(),
    };
  }

  private walk(symbol: string): Walk {
    let walk = this.walks.get(symbol);
    if (!walk) {
      const random = mulberry32(hash(`${this.seed}:${symbol}`));
      const level = LEVELS[symbol] ?? { price: 100, volume: 1_000_000 };
      walk = { random, price: level.price, volume: level.volume };
      this.walks.set(symbol, walk);
    }
    return walk;
  }
}

/** Significant digits like an exchange quotes them: cents for dollars, more below a dollar. */
function round(price: number): number {
  const decimals = price >= 100 ? 2 : price >= 1 ? 4 : 6;
  const f = 10 ** decimals;
  return Math.round(price * f) / f;
}

function gaussian(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A small seeded random number generator (uniform in [0, 1)). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}
