import type { Context, ScheduledEvent } from 'aws-lambda';
import { type Clock, systemClock } from '../shared/clock.ts';
import { createLogger } from '../shared/logger.ts';
import { type MetricsPort, publishFetchMetrics } from '../shared/metrics.ts';
import { AutoSource } from '../shared/sources/auto.ts';
import { CoinbaseSource } from '../shared/sources/coinbase.ts';
import type { PriceSource } from '../shared/sources/quote.ts';
import { SimulatedMarket } from '../shared/sources/sim.ts';
import { runTick, type TickDeps, type TickSummary, tickTimes } from '../shared/tick.ts';
import type { FetchConfig } from './config.ts';

export const logger = createLogger('fetch-prices');

export function createSource(
  config: FetchConfig,
  onFallback: (reason: string) => void,
): PriceSource {
  const coinbase = new CoinbaseSource({
    baseUrl: config.coinbaseBaseUrl,
    timeoutMs: config.coinbaseTimeoutMs,
    retries: 2,
    backoffMs: 250,
  });
  const sim = new SimulatedMarket(config.simSeed);
  if (config.source === 'coinbase') return coinbase;
  if (config.source === 'sim') return sim;
  return new AutoSource(coinbase, sim, onFallback);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/**
 * EventBridge fires at most once a minute; inside one invocation this ticks
 * at once and then every pollIntervalSeconds until the next invocation is
 * due. A tick that could not finish before the function's timeout is left to
 * the next invocation.
 */
export function createHandler(
  config: FetchConfig,
  deps: Omit<TickDeps, 'log'> & {
    metrics?: MetricsPort;
    /** Decides which ticks are due, late or past the deadline. Default the system clock. */
    clock?: Clock;
  },
) {
  const clock = deps.clock ?? systemClock;
  const intervalMs = config.pollIntervalSeconds * 1000;
  const periodMs = config.schedulePeriodSeconds * 1000;
  // Worst case of one tick: a timed-out request and its retries, then PutRecords.
  const tickBudgetMs = config.coinbaseTimeoutMs * 3 + 3_000;
  return async (event: ScheduledEvent, context: Pick<Context, 'getRemainingTimeInMillis'>) => {
    const scheduled = Date.parse(event.time);
    const start = Number.isFinite(scheduled) ? scheduled : clock();
    const deadline = clock() + context.getRemainingTimeInMillis();
    const summaries: TickSummary[] = [];
    try {
      for (const tick of tickTimes(start, periodMs, intervalMs)) {
        const now = clock();
        if (now > tick + intervalMs) continue; // more than a whole interval late: skip it
        if (Math.max(now, tick) + tickBudgetMs > deadline) break;
        await sleep(tick - now);
        summaries.push(await runTick({ ...deps, log: logger }, config.symbols, new Date(tick)));
      }
    } finally {
      // Once per invocation, for the ticks that ran, even when one threw.
      if (deps.metrics) publishFetchMetrics(deps.metrics, config.symbols, summaries);
    }
    return {
      ticks: summaries.length,
      sent: summaries.reduce((n, s) => n + s.sent, 0),
      skipped: summaries.reduce((n, s) => n + s.skipped.length, 0),
      failed: summaries.reduce((n, s) => n + s.failed.length, 0),
    };
  };
}
