/**
 * A data widget's view as the HTML of a CloudWatch custom widget: cards and
 * tables as HTML, time series and distributions as SVG drawn here. No script
 * (CloudWatch runs none in a custom widget), styles inline in the fragment.
 */
import type { Column, DataWidget } from '../../cdk/dashboard/definition.ts';
import { formatUtcRange } from '../shared/time-format.ts';
import type { WidgetBody } from '../shared/widget-query.ts';
import { formatUnit, formatValue } from './format.ts';
import { cdfSvg, escapeXml, legendHtml, timeSeriesSvg } from './svg.ts';

export interface RenderContext {
  from: Date;
  to: Date;
  /** The widget's size in pixels, as CloudWatch reports it. */
  width: number;
  height: number;
  theme: 'light' | 'dark';
}

const STYLE = `
.ps{font:12px/1.4 "Amazon Ember",Helvetica,Arial,sans-serif;color:var(--fg);--fg:#16191f;--muted:#5f6b7a;--line:#e9ebed;--card:#f8f8f8}
.ps.dark{--fg:#d1d5db;--muted:#9ba7b6;--line:#414d5c;--card:#232f3e}
.ps .range,.ps .empty,.ps .note{color:var(--muted);margin:0 0 4px}
.ps .cards{display:flex;flex-wrap:wrap;gap:8px}
.ps .card{background:var(--card);border-radius:6px;padding:6px 10px;min-width:120px}
.ps .card h4{margin:0;font-size:12px;color:var(--muted)}
.ps .card .primary{font-size:20px;font-weight:600}
.ps .card dl{margin:2px 0 0;display:grid;grid-template-columns:auto auto;gap:0 8px}
.ps .card dt{color:var(--muted)}.ps .card dd{margin:0;text-align:right}
.ps table{border-collapse:collapse;width:100%}
.ps th,.ps td{padding:2px 6px;border-bottom:1px solid var(--line);text-align:left}
.ps td.num{text-align:right;font-variant-numeric:tabular-nums}
.ps .bar{display:inline-block;height:8px;background:#1f77b4;margin-right:4px;vertical-align:middle}
.ps svg .grid{stroke:var(--line)}.ps svg .axis{stroke:var(--muted)}
.ps svg .tick{fill:var(--muted);font-size:10px}
.ps svg .line{fill:none;stroke-width:1.5}
.ps .legend{display:flex;flex-wrap:wrap;gap:10px;margin:2px 0 6px 64px}
.ps .legend i{display:inline-block;width:10px;height:3px;margin-right:4px;vertical-align:middle}
.ps .panels{display:flex;flex-wrap:wrap}
.ps .panel h4{margin:2px 0 0 64px;font-size:12px}
`;

const NUMERIC = new Set(['int', 'number', 'price', 'ms', 's', 'pct', 'age']);

export function widgetHtml(widget: DataWidget, body: WidgetBody, context: RenderContext): string {
  const range = `<p class="range">${escapeXml(formatUtcRange(context.from, context.to))}</p>`;
  return `<style>${STYLE}</style><div class="ps${context.theme === 'dark' ? ' dark' : ''}" data-widget="${escapeXml(widget.id)}">${range}${bodyHtml(widget, body, context)}</div>`;
}

/** An error said in the widget itself, in one line. */
export function errorHtml(message: string): string {
  return `<style>${STYLE}</style><div class="ps"><p class="empty">${escapeXml(message)}</p></div>`;
}

function bodyHtml(widget: DataWidget, body: WidgetBody, context: RenderContext): string {
  const width = Math.max(200, context.width - 16);
  switch (body.type) {
    case 'cards':
      if (body.rows.length === 0) return empty(widget);
      return `<div class="cards">${body.rows
        .map(
          (row) =>
            `<div class="card"><h4>${escapeXml(String(row[body.title] ?? ''))}</h4><div class="primary">${escapeXml(formatValue(row[body.primary.key], body.primary.format))}</div><dl>${body.secondary
              .map(
                (c) =>
                  `<dt>${escapeXml(c.label)}</dt><dd>${escapeXml(formatValue(row[c.key], c.format))}</dd>`,
              )
              .join('')}</dl></div>`,
        )
        .join('')}</div>`;
    case 'table':
      if (body.rows.length === 0) return empty(widget);
      return tableHtml(body.columns, body.rows);
    case 'cdf': {
      const series = body.series.filter((s) => s.points.length > 0);
      if (series.length === 0) return empty(widget);
      const size = { width, height: Math.max(120, context.height - 70) };
      return (
        legendHtml(series.map((s) => `${s.label} (${formatValue(s.records, 'int')} rows)`)) +
        cdfSvg(series, body.unit, size, widget.title)
      );
    }
    case 'timeseries': {
      const panels = body.panels.filter((p) =>
        p.series.some((s) => s.values.some((v) => v !== null)),
      );
      if (panels.length === 0) return empty(widget);
      const labels = [...new Set(panels.flatMap((p) => p.series.map((s) => s.label)))];
      if (panels.length === 1 && panels[0]?.title === null) {
        const size = { width, height: Math.max(100, context.height - 70) };
        return (
          legendHtml(labels) + timeSeriesSvg(panels[0], body.unit, size, context, widget.title)
        );
      }
      // Small multiples: as many columns as fit 280 px each, one row high enough for a chart.
      const columns = Math.max(1, Math.min(panels.length, Math.floor(width / 280)));
      const rows = Math.ceil(panels.length / columns);
      const size = {
        width: Math.floor(width / columns),
        height: Math.max(90, Math.floor((context.height - 70) / rows) - 18),
      };
      return `${legendHtml(labels)}<div class="panels">${panels
        .map(
          (panel) =>
            `<div class="panel"><h4>${escapeXml(panel.title ?? '')}</h4>${timeSeriesSvg(
              {
                ...panel,
                series: labels.map(
                  (label) =>
                    panel.series.find((s) => s.label === label) ?? {
                      label,
                      values: panel.x.map(() => null),
                    },
                ),
              },
              body.unit,
              size,
              context,
              `${widget.title}: ${panel.title ?? ''}`,
            )}</div>`,
        )
        .join('')}</div>`;
    }
    case 'single-value':
      return `<div class="cards">${body.values
        .map(
          (v) =>
            `<div class="card"><h4>${escapeXml(v.label)}</h4><div class="primary">${escapeXml(formatUnit(v.value, body.unit))}</div></div>`,
        )
        .join('')}</div>`;
    case 'unavailable':
      return `<p class="empty">${escapeXml(body.message)}</p>`;
  }
}

function empty(widget: DataWidget): string {
  return `<p class="empty">No data for “${escapeXml(widget.title)}” in this time range yet.</p>`;
}

function tableHtml(
  columns: readonly Column[],
  rows: ReadonlyArray<Record<string, unknown>>,
): string {
  const largest = new Map(
    columns
      .filter((c) => c.bar)
      .map((c) => [c.key, Math.max(...rows.map((r) => Number(r[c.key]) || 0), 1)]),
  );
  const head = columns
    .map((c) => `<th${NUMERIC.has(c.format) ? ' class="num"' : ''}>${escapeXml(c.label)}</th>`)
    .join('');
  const lines = rows
    .map(
      (row) =>
        `<tr>${columns
          .map((c) => {
            const text = escapeXml(formatValue(row[c.key], c.format));
            const max = largest.get(c.key);
            const bar =
              max === undefined
                ? ''
                : `<span class="bar" style="width:${Math.round((60 * (Number(row[c.key]) || 0)) / max)}px"></span>`;
            return `<td${NUMERIC.has(c.format) ? ' class="num"' : ''}>${bar}${text}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${lines}</tbody></table>`;
}
