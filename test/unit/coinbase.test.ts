import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoSource } from '../../lambdas/shared/sources/auto.ts';
import { CoinbaseSource, parseTicker } from '../../lambdas/shared/sources/coinbase.ts';
import { SimulatedMarket } from '../../lambdas/shared/sources/sim.ts';
import { startCoinbaseStandIn } from '../../scripts/chaos/coinbase-stand-in.ts';

let standIn: Awaited<ReturnType<typeof startCoinbaseStandIn>>;
const tick = new Date();

beforeAll(async () => {
  standIn = await startCoinbaseStandIn({ 'BTC-USD': 86746.07, 'ETH-USD': 2950.5 });
});
afterAll(async () => {
  await standIn.close();
});

function source(options: Partial<ConstructorParameters<typeof CoinbaseSource>[0]> = {}) {
  return new CoinbaseSource({
    baseUrl: standIn.baseUrl,
    timeoutMs: 300,
    retries: 2,
    backoffMs: 10,
    ...options,
  });
}

describe('CoinbaseSource against a loopback ticker server', () => {
  it('reads the ticker wire format', async () => {
    const quote = await source().ticker('BTC-USD');
    expect(quote).toMatchObject({
      symbol: 'BTC-USD',
      base: 'BTC',
      quote: 'USD',
      price: 86746.07,
      volume24h: 9512.30912544,
    });
    expect(quote.bid).toBeLessThan(quote.price);
    expect(Number.isInteger(quote.tradeId)).toBe(true);
    expect(quote.eventTime).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('retries a 429 and a 5xx, then succeeds', async () => {
    standIn.queue('ETH-USD', '429', '500');
    const before = standIn.requests.length;
    const quote = await source().ticker('ETH-USD');
    expect(quote.price).toBe(2950.5);
    expect(standIn.requests.length - before).toBe(3);
  });

  it('gives up after its retries on a symbol that keeps timing out, and prices the others', async () => {
    standIn.always('SOL-USD', 'hang');
    const results = await source().fetch(['BTC-USD', 'SOL-USD', 'ETH-USD'], tick);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const failed = results[1];
    expect(failed?.ok === false && failed.error.kind).toBe('timeout');
    expect(failed?.ok === false && failed.error.message).toBe('no answer within 300 ms');
    expect(standIn.requests.filter((s) => s === 'SOL-USD')).toHaveLength(3);
  });

  it('skips malformed JSON without retrying it', async () => {
    standIn.queue('ADA-USD', 'malformed');
    const before = standIn.requests.filter((s) => s === 'ADA-USD').length;
    const [result] = await source().fetch(['ADA-USD'], tick);
    expect(result?.ok === false && result.error.kind).toBe('malformed');
    expect(standIn.requests.filter((s) => s === 'ADA-USD').length - before).toBe(1);
  });

  it('does not retry a 404 (unknown product)', async () => {
    standIn.queue('XYZ-USD', '404');
    await expect(source().ticker('XYZ-USD')).rejects.toMatchObject({ kind: 'client-error' });
  });

  it('rejects a ticker whose price is not a positive number', () => {
    expect(() => parseTicker('BTC-USD', '{"price":"-1"}', tick.toISOString())).toThrow(
      /not a positive number/,
    );
    expect(() => parseTicker('BTC-USD', '{"price":"abc"}', tick.toISOString())).toThrow(
      /not a positive number/,
    );
  });
});

describe('AutoSource', () => {
  it('falls back to the simulated market once when Coinbase is unreachable', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise<void>((r) => closed.close(() => r()));
    const notices: string[] = [];
    const auto = new AutoSource(
      new CoinbaseSource({
        baseUrl: `http://127.0.0.1:${port}`,
        timeoutMs: 300,
        retries: 2,
        backoffMs: 10,
      }),
      new SimulatedMarket(1),
      (reason) => notices.push(reason),
    );
    const first = await auto.fetch(['BTC-USD', 'ETH-USD'], tick);
    const second = await auto.fetch(['BTC-USD', 'ETH-USD'], tick);
    expect(first.every((r) => r.ok)).toBe(true);
    expect(second.every((r) => r.ok)).toBe(true);
    expect(auto.name).toBe('sim');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^network: ECONNREFUSED/);
  });

  it('stays on Coinbase when it answers, even if a symbol fails', async () => {
    standIn.queue('ETH-USD', 'malformed');
    const auto = new AutoSource(source(), new SimulatedMarket(1), () => {
      throw new Error('must not fall back');
    });
    const results = await auto.fetch(['BTC-USD', 'ETH-USD'], tick);
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    expect(auto.name).toBe('coinbase');
  });
});
