import {
  type PriceSource,
  type Quote,
  type QuoteResult,
  SourceError,
  splitSymbol,
} from './quote.ts';

export interface CoinbaseOptions {
  /** https://api.exchange.coinbase.com, or a loopback stand-in in tests. */
  baseUrl: string;
  timeoutMs: number;
  /** Retries after the first attempt, for timeouts, 429 and 5xx. */
  retries: number;
  /** First backoff; doubles per retry. */
  backoffMs: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Coinbase Exchange `GET /products/{id}/ticker`: strings for amounts, an integer trade_id. */
interface Ticker {
  price: string;
  bid?: string;
  ask?: string;
  volume?: string;
  trade_id?: number;
  time?: string;
}

export class CoinbaseSource implements PriceSource {
  readonly name = 'coinbase' as const;
  constructor(private readonly options: CoinbaseOptions) {}

  /** All symbols at once: the public limit is 10 requests/s per IP, five pairs stay well within it. */
  fetch(
    symbols: string[],
    _tickTime: Date,
    retries = this.options.retries,
  ): Promise<QuoteResult[]> {
    return Promise.all(
      symbols.map(async (symbol): Promise<QuoteResult> => {
        try {
          return { ok: true, quote: await this.ticker(symbol, retries) };
        } catch (error) {
          if (error instanceof SourceError) return { ok: false, error };
          throw error;
        }
      }),
    );
  }

  async ticker(symbol: string, retries = this.options.retries): Promise<Quote> {
    const sleep = this.options.sleep ?? sleepFor;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(symbol);
      } catch (error) {
        const retryable =
          error instanceof SourceError &&
          ['timeout', 'network', 'rate-limited', 'server-error'].includes(error.kind);
        if (!retryable || attempt >= retries) throw error;
        const wait = (error as RetryAfter).retryAfterMs ?? this.options.backoffMs * 2 ** attempt;
        await sleep(Math.min(wait, 2_000));
      }
    }
  }

  private async once(symbol: string): Promise<Quote> {
    const url = `${this.options.baseUrl}/products/${encodeURIComponent(symbol)}/ticker`;
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    let body: string;
    try {
      response = await doFetch(url, {
        headers: { accept: 'application/json', 'user-agent': 'pricestream' },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      body = await response.text();
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new SourceError(symbol, 'timeout', `no answer within ${this.options.timeoutMs} ms`);
      }
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new SourceError(symbol, 'network', cause?.code ?? cause?.message ?? String(error));
    }
    if (response.status === 429) {
      const retryAfter = Number(response.headers.get('retry-after'));
      const error = new SourceError(symbol, 'rate-limited', 'HTTP 429 Too Many Requests');
      if (Number.isFinite(retryAfter) && retryAfter > 0) {
        (error as RetryAfter).retryAfterMs = retryAfter * 1000;
      }
      throw error;
    }
    if (response.status >= 500) {
      throw new SourceError(symbol, 'server-error', `HTTP ${response.status}`);
    }
    if (!response.ok) {
      throw new SourceError(
        symbol,
        'client-error',
        `HTTP ${response.status}: ${body.slice(0, 120)}`,
      );
    }
    const fetchedAt = new Date().toISOString();
    return parseTicker(symbol, body, fetchedAt);
  }
}

type RetryAfter = SourceError & { retryAfterMs?: number };

export function parseTicker(symbol: string, body: string, fetchedAt: string): Quote {
  let ticker: Ticker;
  try {
    ticker = JSON.parse(body) as Ticker;
  } catch {
    throw new SourceError(
      symbol,
      'malformed',
      `ticker is not JSON: ${JSON.stringify(body.slice(0, 80))}`,
    );
  }
  if (ticker === null || typeof ticker !== 'object') {
    throw new SourceError(symbol, 'malformed', 'ticker is not an object');
  }
  const price = amount(ticker.price);
  if (price === null || price <= 0) {
    throw new SourceError(
      symbol,
      'malformed',
      `ticker price ${JSON.stringify(ticker.price)} is not a positive number`,
    );
  }
  const time =
    typeof ticker.time === 'string' && Number.isFinite(Date.parse(ticker.time))
      ? ticker.time
      : fetchedAt;
  return {
    symbol,
    ...splitSymbol(symbol),
    price,
    bid: amount(ticker.bid),
    ask: amount(ticker.ask),
    volume24h: amount(ticker.volume),
    tradeId: Number.isSafeInteger(ticker.trade_id) ? (ticker.trade_id as number) : null,
    eventTime: time,
    fetchedAt,
  };
}

function amount(value: unknown): number | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : null;
}
