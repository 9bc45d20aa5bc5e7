/**
 * Charts drawn on the server as SVG, for CloudWatch custom widgets, which run
 * no script. Scales and line paths come from d3-scale and d3-shape (nice
 * ticks, UTC time ticks, gaps where a value is missing); the markup is ours.
 */
import { scaleLinear, scaleLog, scaleUtc } from 'd3-scale';
import { curveStepAfter, line } from 'd3-shape';
import type { Unit } from '../../cdk/dashboard/definition.ts';
import type { CdfSeries, Panel } from '../shared/widget-query.ts';
import { axisValue } from './format.ts';

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

export interface ChartSize {
  width: number;
  height: number;
}

const MARGIN = { top: 8, right: 12, bottom: 22, left: 64 };

export const escapeXml = (text: string) =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

const round = (n: number) => Math.round(n * 10) / 10;

function frame(size: ChartSize, title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="${size.width}" height="${size.height}" viewBox="0 0 ${size.width} ${size.height}"><title>${escapeXml(title)}</title>${body}</svg>`;
}

function axes(
  size: ChartSize,
  xTicks: Array<{ at: number; label: string }>,
  yTicks: Array<{ at: number; label: string }>,
): string {
  const bottom = size.height - MARGIN.bottom;
  const right = size.width - MARGIN.right;
  const grid = yTicks
    .map(
      (t) =>
        `<line class="grid" x1="${MARGIN.left}" x2="${right}" y1="${round(t.at)}" y2="${round(t.at)}"/>` +
        `<text class="tick" x="${MARGIN.left - 6}" y="${round(t.at) + 4}" text-anchor="end">${escapeXml(t.label)}</text>`,
    )
    .join('');
  const xs = xTicks
    .map(
      (t) =>
        `<text class="tick" x="${round(t.at)}" y="${bottom + 15}" text-anchor="middle">${escapeXml(t.label)}</text>`,
    )
    .join('');
  return `${grid}<line class="axis" x1="${MARGIN.left}" x2="${right}" y1="${bottom}" y2="${bottom}"/>${xs}`;
}

const utcTick = (spanSeconds: number) => (d: Date) => {
  const iso = d.toISOString();
  return spanSeconds > 2 * 86_400 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
};

/** One time series chart: a line per series over the panel's x (epoch seconds), gaps for nulls. */
export function timeSeriesSvg(
  panel: Panel,
  unit: Unit,
  size: ChartSize,
  range: { from: Date; to: Date },
  title: string,
): string {
  const values = panel.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const low = Math.min(...values, ...(unit === 'USD' ? [] : [0]));
  const high = Math.max(...values, low + 1e-9);
  const x = scaleUtc()
    .domain([range.from, range.to])
    .range([MARGIN.left, size.width - MARGIN.right]);
  const y = scaleLinear()
    .domain([low, high])
    .nice()
    .range([size.height - MARGIN.bottom, MARGIN.top]);
  const span = (range.to.getTime() - range.from.getTime()) / 1000;
  const tickLabel = utcTick(span);
  const xTicks = x
    .ticks(Math.max(2, Math.floor(size.width / 90)))
    .map((d) => ({ at: x(d), label: tickLabel(d) }));
  const yTicks = y.ticks(Math.max(2, Math.floor(size.height / 40))).map((v) => ({
    at: y(v),
    label: axisValue(v, unit),
  }));
  const paths = panel.series
    .map((series, i) => {
      const points = panel.x.map((t, j) => [t, series.values[j] ?? null] as const);
      const d = line<(typeof points)[number]>()
        .defined(([, v]) => v !== null)
        .x(([t]) => round(x(new Date(t * 1000))))
        .y(([, v]) => round(y(v as number)))(points);
      // A lone point between gaps draws no line: mark it.
      const dots = points
        .filter(
          ([, v], j) => v !== null && points[j - 1]?.[1] == null && points[j + 1]?.[1] == null,
        )
        .map(
          ([t, v]) =>
            `<circle cx="${round(x(new Date(t * 1000)))}" cy="${round(y(v as number))}" r="2" fill="${PALETTE[i % PALETTE.length]}"/>`,
        )
        .join('');
      return `<path class="line" data-series="${escapeXml(series.label)}" d="${d ?? ''}" stroke="${PALETTE[i % PALETTE.length]}"/>${dots}`;
    })
    .join('');
  return frame(size, title, axes(size, xTicks, yTicks) + paths);
}

/** A cumulative distribution per series: share of rows (y) at or below a value (x, log scale). */
export function cdfSvg(series: CdfSeries[], unit: Unit, size: ChartSize, title: string): string {
  const values = series.flatMap((s) => s.points.map(([v]) => v)).filter((v) => v > 0);
  const low = Math.max(values.length > 0 ? Math.min(...values) : 1, 0.1);
  const high = Math.max(...values, low * 10);
  const x = scaleLog()
    .domain([low, high])
    .nice()
    .range([MARGIN.left, size.width - MARGIN.right])
    .clamp(true);
  const y = scaleLinear()
    .domain([0, 1])
    .range([size.height - MARGIN.bottom, MARGIN.top]);
  const xTicks = x
    .ticks(Math.max(2, Math.floor(size.width / 90)))
    .filter((v) => Math.log10(v) % 1 === 0)
    .map((v) => ({ at: x(v), label: axisValue(v, unit) }));
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((v) => ({ at: y(v), label: `${v * 100}%` }));
  const paths = series
    .map((s, i) => {
      const d = line<[number, number]>()
        .curve(curveStepAfter)
        .x(([v]) => round(x(Math.max(v, low))))
        .y(([, share]) => round(y(share)))(s.points);
      return `<path class="line" data-series="${escapeXml(s.label)}" d="${d ?? ''}" stroke="${PALETTE[i % PALETTE.length]}"/>`;
    })
    .join('');
  return frame(size, title, axes(size, xTicks, yTicks) + paths);
}

/** Swatches and labels under a chart. */
export function legendHtml(labels: readonly string[]): string {
  return `<div class="legend">${labels
    .map(
      (label, i) =>
        `<span><i style="background:${PALETTE[i % PALETTE.length]}"></i>${escapeXml(label)}</span>`,
    )
    .join('')}</div>`;
}
