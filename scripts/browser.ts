/**
 * A headless Chromium that needs nothing beyond `npm ci`, for `npm run
 * report` (chart PNGs) and the browser tests: the binary shipped inside the
 * @sparticuz/chromium package (unpacked into the temp folder on first use),
 * driven by playwright-core. PRICESTREAM_CHROMIUM points at another browser
 * instead (e.g. /usr/bin/chromium).
 */
import { type BrowserContext, chromium } from 'playwright-core';

/** Flags for a headless browser on a machine without network or GPU. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export async function chromiumExecutable(
  env: Record<string, string | undefined> = process.env,
): Promise<string> {
  const chosen = env.PRICESTREAM_CHROMIUM;
  if (chosen) return chosen;
  const { default: packaged } = await import('@sparticuz/chromium');
  return packaged.executablePath();
}

export interface BrowserOptions {
  /** The profile folder (a fresh one per run). */
  userDataDir: string;
  /**
   * The browser's LANG, which sets navigator.language. Default C.UTF-8, as
   * on many servers and containers: Chromium then reports `en-US@posix`.
   */
  lang?: string;
  viewport?: { width: number; height: number };
}

/** Launches the browser with its own profile; close() the context when done. */
export async function launchBrowser(options: BrowserOptions): Promise<BrowserContext> {
  return chromium.launchPersistentContext(options.userDataDir, {
    executablePath: await chromiumExecutable(),
    headless: true,
    args: ARGS,
    env: { ...process.env, LANG: options.lang ?? 'C.UTF-8', LC_ALL: '' },
    viewport: options.viewport ?? { width: 1440, height: 900 },
  });
}
