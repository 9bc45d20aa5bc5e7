/**
 * The CloudWatch dashboard's custom widgets as CloudWatch would show them:
 * the reports function's real code gets CloudWatch's custom-widget event
 * (widgetContext with a time range, a zoom, a size and a theme; our one
 * parameter, the widget id), runs the widget's SQL on real PostgreSQL, and
 * its HTML is rendered in a real browser (the bundled Chromium), where every
 * chart must draw a line per series, every card and table its rows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allWidgets, type DataWidget } from '../../cdk/dashboard/definition.ts';
import { createHandler } from '../../lambdas/reports/handler.ts';
import type { CustomWidgetEvent } from '../../lambdas/reports/requests.ts';
import { runRollups } from '../../lambdas/shared/rollup.ts';
import { launchBrowser } from '../../scripts/browser.ts';
import { insertRows, MINUTE, type Row, SECOND } from '../support/compare-rows.ts';
import { migratedDatabase } from '../support/migrated-db.ts';

const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'DOGE-USD'];
const CUSTOM = allWidgets().filter((w): w is DataWidget => w.kind === 'data' && !w.cloudwatch);

let pool: pg.Pool;
let now: Date;
let browser: BrowserContext;
let page: Page;
let profile: string;
const pageErrors: string[] = [];
let reports: ReturnType<typeof createHandler>;

beforeAll(async () => {
  ({ pool } = await migratedDatabase('custom_widgets'));
  const { rows } = await pool.query<{ now: Date }>('SELECT now() AS now');
  now = rows[0]?.now as Date;
  // Three hours of prices, a tick every minute: each symbol through both consumers,
  // latencies spread as polling and batching spread them.
  const silver: Row[] = [];
  for (let minutes = 179; minutes >= 1; minutes -= 1) {
    SYMBOLS.forEach((symbol, s) => {
      const eventId = `${symbol}:${minutes}`;
      const price = (s + 1) * 100 + Math.sin(minutes / 20) * (s + 1);
      silver.push(
        {
          consumer: 'realtime',
          eventId,
          symbol,
          price,
          processedAt: -minutes * MINUTE,
          parts: [20, 50 + ((minutes * 37 + s * 11) % 950), 30],
        },
        {
          consumer: 'batch',
          eventId,
          symbol,
          price,
          processedAt: -minutes * MINUTE + 14 * SECOND,
          parts: [20, 1_000 + ((minutes * 53 + s * 7) % 14_000), 60],
        },
      );
    });
  }
  await insertRows(pool, now, silver);
  await runRollups(pool, ['10m', '1h']);
  reports = createHandler({
    pool: async () => pool,
    settings: { batchingWindowSeconds: { realtime: 0, batch: 15 } },
  });
  profile = await mkdtemp(path.join(tmpdir(), 'pricestream-widgets-browser-'));
  browser = await launchBrowser({ userDataDir: profile, viewport: { width: 1200, height: 800 } });
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
  await pool?.end();
});

/** CloudWatch's event for a custom widget (the shape its documentation and Powertools show). */
function cloudWatchEvent(
  widget: DataWidget,
  zoom?: { start: number; end: number },
): CustomWidgetEvent {
  const end = now.getTime();
  const start = end - 3 * 3_600_000;
  const params = { widget: widget.id };
  return {
    ...params,
    widgetContext: {
      dashboardName: 'Pricestream-us-east-1',
      widgetId: 'widget-7',
      timezone: { label: 'UTC', offsetInMinutes: 0 },
      timeRange: {
        mode: 'relative',
        start,
        end,
        relativeStart: end - start,
        ...(zoom ? { zoom } : {}),
      },
      theme: 'light',
      width: widget.width * 50,
      height: 300,
      params,
    },
  };
}

async function show(html: string) {
  await page.setContent(`<!doctype html><html><body>${html}</body></html>`);
}

describe('custom widgets, rendered in Chromium from CloudWatch’s event', () => {
  it.each(CUSTOM.map((w) => [w.id, w] as const))(
    '%s draws its data, with no script',
    async (_id, widget) => {
      const html = await reports(cloudWatchEvent(widget));

      expect(typeof html).toBe('string');
      expect(html).not.toMatch(/<script/i);
      await show(html as string);
      expect(await page.locator(`[data-widget="${widget.id}"]`).count()).toBe(1);
      expect(await page.locator('.empty').count()).toBe(0);
      switch (widget.view.type) {
        case 'timeseries':
        case 'cdf': {
          const lines = page.locator('svg.chart path.line');
          expect(await lines.count()).toBeGreaterThanOrEqual(2);
          for (const line of await lines.all()) {
            expect(await line.getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+L/);
            const box = await line.boundingBox();
            expect(box?.width ?? 0).toBeGreaterThan(50);
          }
          expect(await page.locator('.legend span').count()).toBeGreaterThanOrEqual(2);
          break;
        }
        case 'cards':
          expect(await page.locator('.card').count()).toBe(
            widget.id === 'freshness' ? 2 : SYMBOLS.length,
          );
          expect(await page.locator('.card .primary').first().textContent()).not.toBe('–');
          break;
        case 'table':
          expect(await page.locator('tbody tr').count()).toBe(
            widget.id === 'records-by-symbol' ? SYMBOLS.length * 2 : SYMBOLS.length,
          );
          break;
      }
      expect(pageErrors).toEqual([]);
    },
  );

  it('draws one chart per symbol for the price widget, each with both consumers', async () => {
    const widget = CUSTOM.find((w) => w.id === 'price-over-time') as DataWidget;
    await show((await reports(cloudWatchEvent(widget))) as string);

    expect(await page.locator('.panel h4').allTextContents()).toEqual([...SYMBOLS].sort());
    expect(await page.locator('.panel').first().locator('path.line').count()).toBe(2);
  });

  it('draws the zoomed range when the dashboard is zoomed in, and says which range in UTC', async () => {
    const widget = CUSTOM.find((w) => w.id === 'records-by-symbol') as DataWidget;
    const zoom = { start: now.getTime() - 30 * MINUTE, end: now.getTime() };
    await show((await reports(cloudWatchEvent(widget, zoom))) as string);

    const iso = (ms: number) => new Date(ms).toISOString();
    expect(await page.locator('.range').textContent()).toBe(
      `${iso(zoom.start).slice(0, 10)} ${iso(zoom.start).slice(11, 19)} → ${iso(zoom.end).slice(11, 19)} UTC`,
    );
    // 30 minutes: a tick a minute, -30 (on the edge) to -1, per symbol and consumer.
    expect(await page.locator('tbody tr td.num').first().textContent()).toMatch(/(29|30)$/);
  });

  it('says in the widget what is wrong with its parameters', async () => {
    const html = await reports({
      widgetContext: {
        ...cloudWatchEvent(CUSTOM[0] as DataWidget).widgetContext,
        params: { widget: 'nope' },
      },
    });
    await show(html as string);

    expect(await page.locator('.empty').textContent()).toMatch(
      /^no custom widget "nope"; the custom widgets are latest-prices, /,
    );
  });

  it('answers CloudWatch’s describe request with the widget’s documentation', async () => {
    const answer = await reports({ ...cloudWatchEvent(CUSTOM[0] as DataWidget), describe: true });

    expect(answer).toMatch(/^## pricestream data widget/);
  });
});
