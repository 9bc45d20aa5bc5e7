/**
 * The local dashboard's web server (node:http, loopback only):
 *
 *   GET /                      the page (public/index.html, app.js, app.css)
 *   GET /vendor/uPlot.*        the charting library, from node_modules
 *   GET /api/dashboard         the definition's sections and widgets, as the page needs them
 *   GET /api/widgets/<id>?range=15m | ?from=…&to=…   one widget's data
 *   GET /api/status            the metric collector's counters and the database's health
 *   GET /api/actions           the schedules the page can fire now, and how each last run went
 *   POST /api/actions/<rule>   fires that schedule now (from the page itself only)
 *
 * The API runs only the queries the definition names: a client sends a
 * widget id and a time range, both validated, never SQL. Errors are JSON
 * `{ error, message }` with a status that says whose fault it is.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  DASHBOARD,
  type DashboardDefinition,
  type Widget,
} from '../../cdk/dashboard/definition.ts';
import { type Clock, systemClock } from '../../lambdas/shared/clock.ts';
import type { MetricsCollector } from './collector.ts';
import type { Queryable } from './metric-store.ts';
import { DEFAULT_PRESET, PRESETS, parseTimeRange, TimeRangeError } from './time-range.ts';
import { widgetData } from './widget-data.ts';

export interface DashboardServerOptions {
  /** 0 picks a free port. */
  port: number;
  db: Queryable;
  /** Namespace of the functions' EMF metrics. */
  namespace: string;
  collector: Pick<MetricsCollector, 'stats'>;
  /** Show the Timestream widget. Default false. */
  timestreamEnabled?: boolean;
  definition?: DashboardDefinition;
  /** Page auto-refresh default, seconds. Default 10. */
  refreshSeconds?: number;
  /** "Now" of relative ranges (`range=15m`) and of the future check. Default the system clock. */
  clock?: Clock;
  /** The schedules the page offers to fire now; none when absent. */
  actions?: DashboardActions;
}

/** Firing schedules from the page (see actions.ts). */
export interface DashboardActions {
  list(): unknown;
  /** Fires the rule; false when there is no such action. */
  fire(id: string): unknown | false;
}

export interface DashboardServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const PUBLIC_DIR = new URL('./public/', import.meta.url);
const require = createRequire(import.meta.url);

const STATIC: Record<string, { file: () => string; type: string }> = {
  '/': { file: () => fileURLToPath(new URL('index.html', PUBLIC_DIR)), type: 'text/html' },
  '/app.js': { file: () => fileURLToPath(new URL('app.js', PUBLIC_DIR)), type: 'text/javascript' },
  '/app.css': { file: () => fileURLToPath(new URL('app.css', PUBLIC_DIR)), type: 'text/css' },
  '/actions.js': {
    file: () => fileURLToPath(new URL('actions.js', PUBLIC_DIR)),
    type: 'text/javascript',
  },
  '/actions.css': {
    file: () => fileURLToPath(new URL('actions.css', PUBLIC_DIR)),
    type: 'text/css',
  },
  '/locale.js': {
    file: () => fileURLToPath(new URL('locale.js', PUBLIC_DIR)),
    type: 'text/javascript',
  },
  '/vendor/uPlot.iife.min.js': {
    file: () => require.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript',
  },
  '/vendor/uPlot.min.css': {
    file: () => require.resolve('uplot/dist/uPlot.min.css'),
    type: 'text/css',
  },
};

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export async function startDashboardServer(
  options: DashboardServerOptions,
): Promise<DashboardServer> {
  const definition = options.definition ?? DASHBOARD;
  const visible = (w: Widget) =>
    w.kind !== 'metric' || w.onlyWhen !== 'timestream' || options.timestreamEnabled === true;
  const widgets = new Map(
    definition.sections.flatMap((s) => s.widgets.filter(visible).map((w) => [w.id, w] as const)),
  );
  let port = options.port;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // Only this machine, by a name that means it: a page elsewhere cannot
    // reach the API through a DNS name that resolves to 127.0.0.1.
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      return sendJson(res, 403, {
        error: 'wrong-host',
        message: `this dashboard answers only as 127.0.0.1:${port} or localhost:${port}, not ${JSON.stringify(host)}`,
      });
    }
    const url = new URL(req.url ?? '/', `http://${host}`);
    const path = url.pathname;
    const action = /^\/api\/actions\/([A-Za-z0-9_-]{1,128})$/.exec(path);
    if (action && req.method === 'POST') {
      const refused = notFromThisPage(req, host);
      if (refused) return sendJson(res, 403, { error: 'cross-origin', message: refused });
      const fired = options.actions?.fire(action[1] as string) ?? false;
      if (fired === false) {
        return sendJson(res, 404, {
          error: 'unknown-action',
          message: `no schedule ${JSON.stringify(action[1])} to fire`,
        });
      }
      return sendJson(res, 202, fired);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', action ? 'POST' : 'GET, HEAD');
      return sendJson(res, 405, {
        error: 'method-not-allowed',
        message: action ? 'only POST' : 'only GET',
      });
    }

    if (path === '/api/actions') {
      return sendJson(res, 200, { actions: options.actions?.list() ?? [] });
    }

    // No icon: an empty answer instead of a 404 in the browser's console.
    if (path === '/favicon.ico') {
      res.writeHead(204, SECURITY_HEADERS);
      return res.end();
    }
    const asset = STATIC[path];
    if (asset) return sendFile(res, asset.file(), asset.type);

    if (path === '/api/dashboard') {
      return sendJson(res, 200, {
        title: definition.title,
        refreshSeconds: options.refreshSeconds ?? 10,
        ranges: Object.keys(PRESETS),
        defaultRange: DEFAULT_PRESET,
        sections: definition.sections
          .map((section) => ({
            title: section.title,
            widgets: section.widgets.filter(visible).map((w) => ({
              id: w.id,
              kind: w.kind,
              title: w.title,
              description: w.description,
              width: w.width,
              view: w.kind === 'metric' ? w.view : w.kind === 'alarms' ? 'table' : w.view.type,
            })),
          }))
          .filter((section) => section.widgets.length > 0),
      });
    }

    if (path === '/api/status') {
      let database: { ok: boolean; message?: string };
      try {
        await options.db.query('SELECT 1');
        database = { ok: true };
      } catch (error) {
        database = { ok: false, message: databaseMessage(error) };
      }
      return sendJson(res, 200, {
        time: new Date().toISOString(),
        database,
        collector: options.collector.stats(),
      });
    }

    const match = /^\/api\/widgets\/([a-z0-9-]{1,64})$/.exec(path);
    if (match) {
      const widget = widgets.get(match[1] as string);
      if (!widget) {
        return sendJson(res, 404, {
          error: 'unknown-widget',
          message: `no widget ${JSON.stringify(match[1])}; the widgets are ${[...widgets.keys()].join(', ')}`,
        });
      }
      let range: ReturnType<typeof parseTimeRange>;
      try {
        range = parseTimeRange(url.searchParams, (options.clock ?? systemClock)());
      } catch (error) {
        if (error instanceof TimeRangeError) {
          return sendJson(res, 400, { error: 'bad-range', message: error.message });
        }
        throw error;
      }
      try {
        const data = await widgetData(widget, range, {
          db: options.db,
          namespace: options.namespace,
        });
        return sendJson(res, 200, data);
      } catch (error) {
        const { status, code, message } = classifyQueryError(error);
        return sendJson(res, status, { error: code, message });
      }
    }
    if (path.startsWith('/api/')) {
      return sendJson(res, 404, { error: 'not-found', message: `no API route ${path}` });
    }
    return sendJson(res, 404, { error: 'not-found', message: `no page ${path}` });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        sendJson(res, 500, { error: 'internal', message: (error as Error).message });
      } else {
        res.destroy();
      }
    });
  });
  // A stopped runtime must not wait for a browser's idle keep-alive socket.
  server.keepAliveTimeout = 2_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Why a state-changing request did not come from this dashboard's own page,
 * or undefined when it did: a browser sends the page's Origin with a POST
 * (and Sec-Fetch-Site), and JSON cannot be posted across origins without a
 * preflight this server never answers.
 */
export function notFromThisPage(req: IncomingMessage, host: string): string | undefined {
  const origin = req.headers.origin;
  if (origin !== `http://${host}`) {
    return `only this dashboard's own page may do that (Origin ${origin === undefined ? 'missing' : JSON.stringify(origin)}, expected http://${host})`;
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') {
    return `only this dashboard's own page may do that (Sec-Fetch-Site ${site})`;
  }
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
    return 'send JSON (Content-Type: application/json)';
  }
  return undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function sendFile(res: ServerResponse, file: string, type: string): Promise<void> {
  const content = await readFile(file);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': `${type}; charset=utf-8`,
    'Cache-Control': 'no-cache',
    'Content-Length': content.length,
  });
  res.end(content);
}

/** Socket-level failures and node-postgres's own timeouts: the database is away. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'ETIMEDOUT',
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
]);

function codeOf(error: unknown): string | undefined {
  const { code, errors } = (error ?? {}) as { code?: unknown; errors?: unknown };
  if (typeof code === 'string' && code) return code;
  if (Array.isArray(errors)) return errors.map(codeOf).find(Boolean);
  return undefined;
}

function databaseMessage(error: unknown): string {
  const code = codeOf(error);
  const detail = (error as Error)?.message?.split('\n')[0] ?? String(error);
  return code && !detail.includes(code) ? `${code}: ${detail}` : detail;
}

export function classifyQueryError(error: unknown): {
  status: number;
  code: string;
  message: string;
} {
  const code = codeOf(error);
  const detail = databaseMessage(error);
  if (
    (code && UNREACHABLE.has(code)) ||
    /connection timeout|terminated unexpectedly|Connection terminated/i.test(detail)
  ) {
    return {
      status: 503,
      code: 'database-unavailable',
      message: `PostgreSQL is not reachable (${detail}). The page keeps trying.`,
    };
  }
  if (code === '42P01' || code === '3F000') {
    return {
      status: 503,
      code: 'not-migrated',
      message: `A table or view this widget reads does not exist (${detail}): the pipeline's migrations have not run on this database.`,
    };
  }
  return { status: 500, code: 'query-failed', message: `The widget's query failed (${detail}).` };
}
