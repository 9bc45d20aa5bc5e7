/**
 * The report as one self-contained HTML file: uPlot, the page's script and
 * style, and the data, all inlined, so it opens from disk with no network.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ReportData } from './report-data.ts';

const require = createRequire(import.meta.url);
const LOCALE_JS = new URL('../../local/dashboard/public/locale.js', import.meta.url).pathname;
const asset = (file: string) => readFileSync(file, 'utf8');
const page = (file: string) => asset(new URL(`./page/${file}`, import.meta.url).pathname);

/** JSON that cannot end the <script> element it sits in. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

const escapeHtml = (text: string) =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

export function renderHtml(data: ReportData): string {
  const uplotJs = asset(require.resolve('uplot/dist/uPlot.iife.min.js'));
  const uplotCss = asset(require.resolve('uplot/dist/uPlot.min.css'));
  // The dashboard's: uPlot reads navigator.language while it loads, which
  // Intl rejects in a browser started with LANG=C.UTF-8 (en-US@posix).
  const localeJs = asset(LOCALE_JS);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(data.title)}</title>
<style>${uplotCss}</style>
<style>${page('report.css')}</style>
</head>
<body>
<main>
<h1 id="title"></h1>
<p class="source" id="source"></p>
<p class="generated" id="generated"></p>
<div id="charts"></div>
</main>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${localeJs}</script>
<script>${uplotJs}</script>
<script type="module">${page('report.js')}</script>
</body>
</html>
`;
}
