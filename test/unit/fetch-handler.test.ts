import type { ScheduledEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { FetchConfig } from '../../lambdas/fetch-prices/config.ts';
import { createHandler } from '../../lambdas/fetch-prices/handler.ts';
import type { PriceEvent } from '../../lambdas/shared/price-event.ts';
import { SimulatedMarket } from '../../lambdas/shared/sources/sim.ts';

const config: FetchConfig = {
  streamName: 'unused',
  symbols: ['BTC-USD'],
  source: 'sim',
  coinbaseBaseUrl: 'http://127.0.0.1:9',
  coinbaseTimeoutMs: 100,
  pollIntervalSeconds: 10,
  schedulePeriodSeconds: 30,
  simSeed: 42,
};

describe('fetch-prices handler', () => {
  it('decides which ticks are due, late or past the deadline by the clock it is given', async () => {
    // A clock about 400 days ahead, set so that "now" is 100 ms past a tick
    // of the interval: by the system clock every tick below would be 400 days
    // away, and the handler would sleep until then.
    const interval = config.pollIntervalSeconds * 1000;
    const ahead = 400 * 86_400_000;
    const base = Math.ceil((Date.now() + ahead) / interval) * interval;
    const offset = base + 100 - Date.now();
    const clock = () => Date.now() + offset;
    const published: PriceEvent[] = [];
    const handler = createHandler(config, {
      source: new SimulatedMarket(config.simSeed),
      publish: async (events) => {
        published.push(...events);
        return { sent: events.length, failed: [], attempts: 1 };
      },
      clock,
    });
    // Ticks at base − 10 s (late: skipped), base (due: runs), base + 10 s
    // (would end after the deadline: not started).
    const scheduled = { time: new Date(base - interval).toISOString() } as ScheduledEvent;

    const result = await handler(scheduled, { getRemainingTimeInMillis: () => 5_000 });

    expect(result).toEqual({ ticks: 1, sent: 1, skipped: 0, failed: 0 });
    expect(published.map((e) => e.eventTime)).toEqual([new Date(base).toISOString()]);
  });
});
