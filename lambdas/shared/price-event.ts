/**
 * The price event: the JSON data of one Kinesis record (DESIGN.md).
 */

export type PriceSourceName = 'coinbase' | 'sim';

export interface PriceEvent {
  v: 1;
  /** Deterministic: a producer retry publishes the same id. */
  eventId: string;
  source: PriceSourceName;
  symbol: string;
  base: string;
  quote: string;
  price: number;
  bid: number | null;
  ask: number | null;
  volume24h: number | null;
  tradeId: number | null;
  /** Exchange time where the source has one, ISO 8601. */
  eventTime: string;
  /** Producer clock, ISO 8601 with milliseconds. */
  fetchedAt: string;
}

/** Bad data: rejected with its reason, never retried. */
export class ValidationError extends Error {
  override name = 'ValidationError';
}

/** Larger records are rejected unread; a real event is about 300 bytes. */
export const MAX_EVENT_BYTES = 8 * 1024;
/** Clock skew tolerated before a time counts as "in the future". */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;
/** Earlier times are not prices (and year 0 would fail the insert). */
export const EARLIEST_TIME_MS = Date.parse('2009-01-01T00:00:00Z');

const SYMBOL = /^([A-Z0-9]{2,10})-([A-Z0-9]{2,10})$/;
const SOURCES: readonly string[] = ['coinbase', 'sim'];

export function encodePriceEvent(event: PriceEvent): Buffer {
  return Buffer.from(JSON.stringify(event), 'utf8');
}

/** Decodes and validates one record's data; throws ValidationError with the reason. */
export function parsePriceEvent(data: Uint8Array, now: number = Date.now()): PriceEvent {
  if (data.byteLength > MAX_EVENT_BYTES) {
    throw new ValidationError(`oversized: ${data.byteLength} bytes, limit ${MAX_EVENT_BYTES}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    throw new ValidationError('not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError('wrong shape: not a JSON object');
  }
  const o = value as Record<string, unknown>;
  if (o.v !== 1) throw new ValidationError(`unknown version v=${JSON.stringify(o.v)}`);

  const eventId = text(o, 'eventId', 200);
  const source = text(o, 'source', 20);
  if (!SOURCES.includes(source)) {
    throw new ValidationError(`wrong shape: unknown source ${JSON.stringify(source)}`);
  }
  const symbol = text(o, 'symbol', 21);
  const parts = SYMBOL.exec(symbol);
  if (!parts)
    throw new ValidationError(`wrong shape: symbol ${JSON.stringify(symbol)} is not BASE-QUOTE`);
  const base = text(o, 'base', 10);
  const quote = text(o, 'quote', 10);
  if (base !== parts[1] || quote !== parts[2]) {
    throw new ValidationError(`wrong shape: base/quote ${base}/${quote} do not match ${symbol}`);
  }
  const price = o.price;
  if (typeof price !== 'number' || !Number.isFinite(price) || price <= 0) {
    throw new ValidationError(
      `price must be a finite positive number, got ${JSON.stringify(price)}`,
    );
  }
  const eventTime = time(o, 'eventTime', now);
  const fetchedAt = time(o, 'fetchedAt', now);
  return {
    v: 1,
    eventId,
    source: source as PriceSourceName,
    symbol,
    base,
    quote,
    price,
    bid: optionalAmount(o, 'bid'),
    ask: optionalAmount(o, 'ask'),
    volume24h: optionalAmount(o, 'volume24h'),
    tradeId: optionalInteger(o, 'tradeId'),
    eventTime,
    fetchedAt,
  };
}

function text(o: Record<string, unknown>, key: string, maxLength: number): string {
  const value = o[key];
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new ValidationError(
      `wrong shape: ${key} must be a non-empty string of at most ${maxLength} characters`,
    );
  }
  // PostgreSQL text cannot hold NUL: letting one through would fail the insert
  // and turn bad data into an endless retry.
  if (value.includes('\u0000'))
    throw new ValidationError(`wrong shape: ${key} contains a NUL character`);
  return value;
}

function optionalAmount(o: Record<string, unknown>, key: string): number | null {
  const value = o[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValidationError(
      `${key} must be a finite non-negative number or null, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function optionalInteger(o: Record<string, unknown>, key: string): number | null {
  const value = o[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(
      `${key} must be a non-negative integer or null, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function time(o: Record<string, unknown>, key: string, now: number): string {
  const value = o[key];
  const ms = typeof value === 'string' && ISO.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new ValidationError(`${key} is not an ISO 8601 time: ${JSON.stringify(value)}`);
  }
  if (ms < EARLIEST_TIME_MS) {
    throw new ValidationError(`${key} is before 2009: ${value as string}`);
  }
  if (ms > now + MAX_FUTURE_SKEW_MS) {
    throw new ValidationError(`${key} is in the future: ${value as string}`);
  }
  // Kept as sent: PostgreSQL keeps the microseconds that a Date would drop.
  return value as string;
}
