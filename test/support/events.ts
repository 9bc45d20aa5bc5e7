import type { PriceEvent } from '../../lambdas/shared/price-event.ts';

/** A valid event; override what a test is about. */
export function priceEvent(overrides: Partial<PriceEvent> = {}): PriceEvent {
  const fetchedAt = new Date(Date.now() - 500).toISOString();
  return {
    v: 1,
    eventId: `sim:BTC-USD:${Math.floor(Math.random() * 1e12)}`,
    source: 'sim',
    symbol: 'BTC-USD',
    base: 'BTC',
    quote: 'USD',
    price: 86746.07,
    bid: 86745.5,
    ask: 86746.5,
    volume24h: 9512.3,
    tradeId: 123456,
    eventTime: fetchedAt,
    fetchedAt,
    ...overrides,
  };
}
