/** One symbol's price at one tick, from whichever source. */
export interface Quote {
  symbol: string;
  base: string;
  quote: string;
  price: number;
  bid: number | null;
  ask: number | null;
  volume24h: number | null;
  tradeId: number | null;
  /** Exchange time, ISO 8601. */
  eventTime: string;
  /** When we had the answer, ISO 8601 with milliseconds. */
  fetchedAt: string;
}

export type SourceFailureKind =
  | 'timeout'
  | 'network'
  | 'rate-limited'
  | 'server-error'
  | 'client-error'
  | 'malformed';

/** A symbol the source could not price this tick: skipped, the others still go out. */
export class SourceError extends Error {
  override name = 'SourceError';
  constructor(
    readonly symbol: string,
    readonly kind: SourceFailureKind,
    message: string,
  ) {
    super(message);
  }
}

export type QuoteResult = { ok: true; quote: Quote } | { ok: false; error: SourceError };

export interface PriceSource {
  /** The name that goes into the event (`coinbase` or `sim`). */
  readonly name: 'coinbase' | 'sim';
  fetch(symbols: string[], tickTime: Date): Promise<QuoteResult[]>;
}

export function splitSymbol(symbol: string): { base: string; quote: string } {
  const [base = symbol, quote = ''] = symbol.split('-');
  return { base, quote };
}
