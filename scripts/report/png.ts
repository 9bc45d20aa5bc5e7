/**
 * A PNG of each chart of the HTML report, for slides: the page opened from
 * disk in headless Chromium with every request but the file itself refused,
 * and each chart's figure photographed.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser } from '../browser.ts';

/** Opens the report with no network, waits until every chart was tried, returns ids of charts that failed. */
export async function chartPngs(htmlFile: string, outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const profile = await mkdtemp(path.join(os.tmpdir(), 'pricestream-report-browser-'));
  const browser = await launchBrowser({
    userDataDir: profile,
    viewport: { width: 1100, height: 900 },
  });
  try {
    const page = await browser.newPage();
    const url = pathToFileURL(path.resolve(htmlFile)).href;
    await page.route('**/*', (route) =>
      route.request().url() === url ? route.continue() : route.abort(),
    );
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page
      .waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 30_000 })
      .catch((error: Error) => {
        throw new Error(
          errors.length > 0 ? `the page failed: ${errors.join('; ')}` : error.message,
        );
      });
    const figures = await page.locator('figure[data-chart]').all();
    const written: string[] = [];
    for (const figure of figures) {
      const id = await figure.getAttribute('data-chart');
      if (!id) continue;
      const file = path.join(outDir, `${id}.png`);
      await figure.screenshot({ path: file });
      written.push(file);
    }
    return written;
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
}
