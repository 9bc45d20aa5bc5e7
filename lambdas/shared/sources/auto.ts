import type { CoinbaseSource } from './coinbase.ts';
import type { PriceSource, QuoteResult } from './quote.ts';
import type { SimulatedMarket } from './sim.ts';

/**
 * Coinbase while it answers; the simulated market once it is found
 * unreachable (every symbol failing at the network level before any success).
 * The switch is for the life of the environment and announced once.
 */
export class AutoSource implements PriceSource {
  private mode: 'probing' | 'coinbase' | 'sim' = 'probing';

  constructor(
    private readonly coinbase: CoinbaseSource,
    private readonly sim: SimulatedMarket,
    private readonly onFallback: (reason: string) => void,
  ) {}

  get name(): 'coinbase' | 'sim' {
    return this.mode === 'sim' ? 'sim' : 'coinbase';
  }

  async fetch(symbols: string[], tickTime: Date): Promise<QuoteResult[]> {
    if (this.mode === 'sim') return this.sim.fetch(symbols, tickTime);
    // Probing gets no retries: an unreachable host should not hold up the first tick.
    const results = await this.coinbase.fetch(
      symbols,
      tickTime,
      this.mode === 'probing' ? 0 : undefined,
    );
    if (results.some((r) => r.ok)) {
      this.mode = 'coinbase';
      return results;
    }
    const unreachable = results.every(
      (r) => !r.ok && (r.error.kind === 'network' || r.error.kind === 'timeout'),
    );
    if (this.mode === 'probing' && unreachable) {
      const first = results[0];
      const reason =
        first && !first.ok ? `${first.error.kind}: ${first.error.message}` : 'no answer';
      this.mode = 'sim';
      this.onFallback(reason);
      return this.sim.fetch(symbols, tickTime);
    }
    return results;
  }
}
