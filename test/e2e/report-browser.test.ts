/**
 * The HTML report in a real browser (the Chromium of @sparticuz/chromium,
 * LANG=C.UTF-8) with every request but the file itself refused: each chart
 * is drawn, none shows an error panel or a NaN, and `npm run report` made a
 * PNG of each. The study behind it is a real one, kept tiny.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStudyArgs } from '../../bench/study/options.ts';
import { runStudy } from '../../bench/study/run.ts';
import { launchBrowser } from '../../scripts/browser.ts';
import type { PageElement } from '../support/page-element.ts';
import { runCommand } from '../support/run-script.ts';

const PG_PORT = process.env.PRICESTREAM_E2E_REPORT_PG_PORT ?? '54449';
const KINESIS_PORT = process.env.PRICESTREAM_E2E_REPORT_KINESIS_PORT ?? '4678';

// Code that runs in the page: this project's TypeScript has no DOM types.
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
};

let dir: string;
let studyFile: string;
let browser: BrowserContext | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pricestream-report-test-'));
  const { jsonFile } = await runStudy(
    parseStudyArgs([
      '--windows',
      '0,2',
      '--sizes',
      '1000',
      '--modes',
      'standard',
      '--loads',
      'original,20',
      '--original-seconds',
      '10',
      '--rate-seconds',
      '3',
      '--pg-port',
      PG_PORT,
      '--kinesis-port',
      KINESIS_PORT,
      '--out',
      dir,
      '--name',
      'tiny-study',
    ]),
    () => {},
  );
  studyFile = jsonFile;
  browser = await launchBrowser({ userDataDir: path.join(dir, 'profile'), lang: 'C.UTF-8' });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm run report in a browser', () => {
  it('opens with no network and draws every chart, with a PNG of each', async () => {
    const out = path.join(dir, 'report.html');
    const pngDir = path.join(dir, 'png');
    const { code, stderr } = await runCommand('npm', [
      'run',
      'report',
      '--',
      '--out',
      out,
      '--study',
      studyFile,
      '--png-dir',
      pngDir,
    ]);
    expect(code, stderr).toBe(0);

    const page = await (browser as BrowserContext).newPage();
    const url = pathToFileURL(out).href;
    const refused: string[] = [];
    await page.route('**/*', (route) => {
      if (route.request().url() === url) return route.continue();
      refused.push(route.request().url());
      return route.abort();
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });

    const charts = await page.evaluate(() =>
      [...document.querySelectorAll('figure[data-chart]')].map((figure) => {
        const canvas = figure.querySelector('canvas');
        const pixels = canvas
          ?.getContext('2d')
          ?.getImageData(0, 0, canvas.width, canvas.height).data;
        return {
          id: figure.getAttribute('data-chart'),
          state: figure.getAttribute('data-state'),
          error: figure.querySelector('.chart-error')?.textContent ?? null,
          drawn: pixels?.some((value) => value !== 0) ?? false,
        };
      }),
    );
    expect(charts.map((c) => c.id)).toEqual([
      'latency-cdf',
      'latency-parts',
      'throughput',
      'completeness',
      'latency-by-window-original',
      'latency-by-window-20-s',
      'cost-vs-latency',
    ]);
    for (const chart of charts) {
      expect(chart, chart.id ?? '').toEqual({
        id: chart.id,
        state: 'ok',
        error: null,
        drawn: true,
      });
    }
    // The page's text, not its scripts' source.
    const text = await page.evaluate(() => document.querySelector('main')?.textContent ?? '');
    expect(text).not.toMatch(/NaN|undefined|Infinity/);
    expect(text).toContain('Every setting of the study');
    expect(refused).toEqual([]);
    expect(errors).toEqual([]);

    const pngs = (await readdir(pngDir)).sort();
    expect(pngs).toEqual(charts.map((c) => `${c.id}.png`).sort());
    for (const png of pngs) {
      const bytes = await readFile(path.join(pngDir, png));
      expect(bytes.subarray(1, 4).toString('latin1'), png).toBe('PNG');
      expect(bytes.length, png).toBeGreaterThan(10_000);
    }
  });
});
