import { describe, expect, it } from 'vitest';
import {
  encodePriceEvent,
  MAX_EVENT_BYTES,
  parsePriceEvent,
  ValidationError,
} from '../../lambdas/shared/price-event.ts';
import { priceEvent } from '../support/events.ts';

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));
// The validator's clock; every time below is computed from it.
const now = Date.now();
/** An ISO time `ms` before now (millisecond precision). */
const msAgo = (ms: number) => new Date(now - ms).toISOString();

function reasonFor(data: Buffer): string {
  try {
    parsePriceEvent(data, now);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  }
  throw new Error('expected a ValidationError');
}

describe('parsePriceEvent', () => {
  it('accepts a valid event and keeps every field', () => {
    const event = priceEvent({
      // Coinbase sends microseconds; they are kept as sent.
      eventTime: msAgo(1_000).replace(/Z$/, '456Z'),
      fetchedAt: msAgo(900),
    });
    expect(parsePriceEvent(encodePriceEvent(event), now)).toEqual(event);
  });

  it('accepts null bid, ask, volume and trade id', () => {
    const event = priceEvent({
      bid: null,
      ask: null,
      volume24h: null,
      tradeId: null,
      eventTime: msAgo(60_000).replace(/\.\d{3}Z$/, 'Z'),
      fetchedAt: msAgo(59_900),
    });
    expect(parsePriceEvent(encodePriceEvent(event), now)).toEqual(event);
  });

  it.each([
    ['not JSON', Buffer.from('{"v":1,'), /not JSON/],
    ['an array', bytes([1, 2]), /not a JSON object/],
    ['an unknown version', bytes({ ...priceEvent(), v: 2 }), /unknown version v=2/],
    ['no version', bytes({ ...priceEvent(), v: undefined }), /unknown version/],
    ['no event id', bytes({ ...priceEvent(), eventId: '' }), /eventId/],
    ['an unknown source', bytes({ ...priceEvent(), source: 'kraken' }), /unknown source/],
    ['a malformed symbol', bytes({ ...priceEvent(), symbol: 'btcusd' }), /symbol/],
    ['base not matching the symbol', bytes({ ...priceEvent(), base: 'ETH' }), /do not match/],
    ['a negative price', bytes({ ...priceEvent(), price: -1 }), /finite positive/],
    ['a zero price', bytes({ ...priceEvent(), price: 0 }), /finite positive/],
    ['a price as a string', bytes({ ...priceEvent(), price: '86746.07' }), /finite positive/],
    ['a null price', bytes({ ...priceEvent(), price: null }), /finite positive/],
    [
      'an overflowing price',
      Buffer.from(JSON.stringify(priceEvent()).replace('86746.07', '1e400')),
      /finite positive/,
    ],
    ['a negative bid', bytes({ ...priceEvent(), bid: -5 }), /bid/],
    ['a fractional trade id', bytes({ ...priceEvent(), tradeId: 1.5 }), /tradeId/],
    [
      'an unparsable event time',
      bytes({ ...priceEvent(), eventTime: 'yesterday' }),
      /eventTime is not an ISO 8601 time/,
    ],
    [
      'an impossible date',
      bytes({ ...priceEvent(), fetchedAt: '2026-13-45T99:00:00Z' }),
      /fetchedAt is not an ISO 8601/,
    ],
    [
      'a far-future event time',
      bytes({ ...priceEvent(), eventTime: new Date(now + 3_600_000).toISOString() }),
      /eventTime is in the future/,
    ],
    [
      'a year-zero fetch time',
      bytes({ ...priceEvent(), fetchedAt: '0000-01-01T00:00:00Z' }),
      /fetchedAt is before 2009/,
    ],
    ['a NUL in the event id', bytes({ ...priceEvent(), eventId: 'a\u0000b' }), /NUL/],
    ['an oversized record', Buffer.alloc(MAX_EVENT_BYTES + 1, 32), /oversized: 8193 bytes/],
  ])('rejects %s with a reason', (_name, data, reason) => {
    expect(reasonFor(data)).toMatch(reason);
  });

  it('tolerates a few minutes of producer clock skew', () => {
    const skewed = new Date(now + 60_000).toISOString();
    const event = priceEvent({ eventTime: skewed, fetchedAt: skewed });
    expect(parsePriceEvent(encodePriceEvent(event), now).fetchedAt).toBe(skewed);
  });
});
