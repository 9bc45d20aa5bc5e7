/**
 * The local web dashboard of `npm start`: http://127.0.0.1:3000 (or
 * PRICESTREAM_DASHBOARD_PORT), rendered from cdk/dashboard/definition.ts like
 * the CloudWatch dashboard. Metric widgets come from the EMF lines the
 * functions print (stored in local_runtime.metric_points), data widgets from
 * the SQL files the definition names.
 *
 *   const collector = new MetricsCollector();
 *   const runtime = await startLocalRuntime({ listeners: collector.listeners });
 *   const dashboard = await startLocalDashboard({ runtime, collector });
 *   …
 *   await dashboard.close();
 *   await runtime.stop();
 */
import pg from 'pg';
import { type Clock, systemClock } from '../../lambdas/shared/clock.ts';
import { DEFAULT_METRICS_NAMESPACE } from '../../lambdas/shared/metrics.ts';
import type { LocalRuntime } from '../runtime.ts';
import type { RuntimeEventMap, RuntimeListeners } from '../shared/runtime-events.ts';
import { type ActionsRuntime, scheduleActions } from './actions.ts';
import type { MetricsCollector } from './collector.ts';
import { ensureMetricStore, pruneMetricPoints } from './metric-store.ts';
import { type DashboardServer, startDashboardServer } from './server.ts';

export { MetricsCollector } from './collector.ts';

export const DEFAULT_DASHBOARD_PORT = 3000;

/** PRICESTREAM_DASHBOARD_PORT, or 3000. */
export function dashboardPortFromEnv(env: Record<string, string | undefined> = process.env) {
  const raw = env.PRICESTREAM_DASHBOARD_PORT;
  if (raw === undefined || raw.trim() === '') return DEFAULT_DASHBOARD_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`PRICESTREAM_DASHBOARD_PORT must be a port number, got ${JSON.stringify(raw)}`);
  }
  return port;
}

/** Listeners that call each of several listener sets (the printer and the collector). */
export function combineListeners(...sets: RuntimeListeners[]): RuntimeListeners {
  const combined: RuntimeListeners = {};
  const kinds = new Set(sets.flatMap((s) => Object.keys(s))) as Set<keyof RuntimeEventMap>;
  for (const kind of kinds) {
    const listeners = sets.map((s) => s[kind]).filter(Boolean) as Array<(event: never) => void>;
    (combined as Record<string, (event: never) => void>)[kind] = (event: never) => {
      for (const listener of listeners) listener(event);
    };
  }
  return combined;
}

export interface LocalDashboard {
  readonly url: string;
  close(): Promise<void>;
}

export async function startLocalDashboard(options: {
  /** With schedules() and fire(), the page offers to fire each schedule now. */
  runtime: Pick<LocalRuntime, 'databaseUrl' | 'functions'> & Partial<ActionsRuntime>;
  collector: MetricsCollector;
  /** Default PRICESTREAM_DASHBOARD_PORT or 3000; 0 picks a free one. */
  port?: number;
  /** Time ranges and metric retention are decided by it. Default the system clock. */
  clock?: Clock;
}): Promise<LocalDashboard> {
  const { runtime, collector } = options;
  const pool = new pg.Pool({
    connectionString: runtime.databaseUrl,
    max: 4,
    connectionTimeoutMillis: 2_000,
    statement_timeout: 10_000,
  });
  // The database going away while the page is open is reported per request.
  pool.on('error', () => {});
  let server: DashboardServer | undefined;
  try {
    await ensureMetricStore(pool);
    await pruneMetricPoints(pool, (options.clock ?? systemClock)());
    collector.attach(pool, runtime.functions);
    const env = (name: string) => runtime.functions.find((f) => f.name === name)?.environment;
    server = await startDashboardServer({
      port: options.port ?? dashboardPortFromEnv(),
      db: pool,
      namespace:
        runtime.functions.find((f) => f.environment.POWERTOOLS_METRICS_NAMESPACE)?.environment
          .POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
      collector,
      timestreamEnabled: env('RealtimeConsumer')?.TIMESTREAM_DATABASE_NAME !== undefined,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(runtime.schedules && runtime.fire && runtime.model
        ? {
            actions: scheduleActions(
              { schedules: runtime.schedules, fire: runtime.fire, model: runtime.model },
              options.clock,
            ),
          }
        : {}),
    });
  } catch (error) {
    await collector.close();
    await pool.end();
    throw error;
  }
  const running = server;
  let closing: Promise<void> | undefined;
  return {
    url: running.url,
    close: () => {
      closing ??= (async () => {
        await running.close();
        await collector.close();
        await pool.end();
      })();
      return closing;
    },
  };
}
