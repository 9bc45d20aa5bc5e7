// The local dashboard page: draws the widgets the server's definition lists,
// refreshes them on a timer, and says what is wrong (per widget, and in a
// banner for the database and malformed metric lines) without stopping.
// No build step: plain browser JavaScript; charts by uPlot (served from
// node_modules as /vendor/uPlot.iife.min.js).

const uPlot = globalThis.uPlot;
// Every date and number is formatted with this locale, always a valid one (locale.js).
const LOCALE = globalThis.pricestreamLocale ?? 'en-US';

const COLORS = [
  '#2563eb',
  '#ea580c',
  '#16a34a',
  '#9333ea',
  '#dc2626',
  '#0891b2',
  '#ca8a04',
  '#db2777',
  '#4b5563',
  '#65a30d',
];

const state = {
  definition: null,
  /** `{ range: '15m' }` or `{ from, to }`, from the URL hash. */
  range: { range: '15m' },
  refreshSeconds: 10,
  timer: undefined,
  widgets: new Map(),
  loading: false,
};

// ---------------------------------------------------------------------------
// formatting

const numberFormat = (digits) =>
  new Intl.NumberFormat(LOCALE, { maximumFractionDigits: digits, minimumFractionDigits: 0 });

function formatPrice(value) {
  const abs = Math.abs(value);
  if (abs >= 1000) return numberFormat(2).format(value);
  if (abs >= 1) return numberFormat(4).format(value);
  return value.toPrecision(4);
}

function formatMs(value) {
  if (Math.abs(value) >= 10_000) return `${numberFormat(1).format(value / 1000)} s`;
  if (Math.abs(value) >= 100) return `${numberFormat(0).format(value)} ms`;
  return `${numberFormat(1).format(value)} ms`;
}

function formatSeconds(value) {
  if (value >= 3600) return `${numberFormat(1).format(value / 3600)} h`;
  if (value >= 120) return `${numberFormat(1).format(value / 60)} min`;
  return `${numberFormat(1).format(value)} s`;
}

function format(value, kind) {
  if (value === null || value === undefined) return '–';
  switch (kind) {
    case 'price':
      return typeof value === 'number' ? formatPrice(value) : String(value);
    case 'int':
      return numberFormat(0).format(Number(value));
    case 'number':
      return numberFormat(2).format(Number(value));
    case 'ms':
      return formatMs(Number(value));
    case 's':
      return formatSeconds(Number(value));
    case 'age':
      return `${formatSeconds(Number(value))} ago`;
    case 'pct': {
      const n = Number(value);
      return `${n > 0 ? '+' : ''}${numberFormat(2).format(n)} %`;
    }
    case 'time': {
      const d = new Date(String(value));
      return Number.isNaN(d.getTime())
        ? String(value)
        : `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)}`;
    }
    default:
      return String(value);
  }
}

const UNIT_FORMAT = { ms: 'ms', s: 's', count: 'number', USD: 'price', '%': 'pct' };

function formatUnit(value, unit) {
  if (value === null || value === undefined) return '–';
  if (unit === 'count') return numberFormat(Math.abs(value) < 10 ? 2 : 0).format(value);
  return format(value, UNIT_FORMAT[unit] ?? 'number');
}

function axisValue(value, unit) {
  if (unit === 'ms') {
    return Math.abs(value) >= 1000 ? `${numberFormat(1).format(value / 1000)}s` : `${value}ms`;
  }
  if (unit === '%') return `${value}%`;
  if (unit === 'USD') return formatPrice(value);
  return numberFormat(2).format(value);
}

// ---------------------------------------------------------------------------
// DOM helpers

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    // CSSOM, not a style attribute: the page's CSP allows no inline styles.
    else if (key === 'style') Object.assign(node.style, value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function message(text) {
  return el('div', { class: 'message' }, text);
}

// ---------------------------------------------------------------------------
// time range (URL hash: #range=1h or #from=…&to=…)

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has('from') || params.has('to')) {
    return { from: params.get('from') ?? '', to: params.get('to') ?? '' };
  }
  return { range: params.get('range') ?? state.definition?.defaultRange ?? '15m' };
}

function rangeQuery() {
  return new URLSearchParams(state.range).toString();
}

function renderRangeButtons() {
  const box = document.getElementById('ranges');
  box.replaceChildren(
    ...state.definition.ranges.map((preset) => {
      const button = el(
        'button',
        { type: 'button', 'aria-pressed': state.range.range === preset ? 'true' : 'false' },
        preset,
      );
      button.addEventListener('click', () => {
        location.hash = `range=${preset}`;
      });
      return button;
    }),
  );
}

// ---------------------------------------------------------------------------
// fetching

async function getJson(path) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: 'application/json' } });
  } catch {
    throw new Error('The dashboard server is not answering (is npm start still running?).');
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new Error(`The server answered ${response.status} without JSON.`);
  }
  if (!response.ok) {
    const error = new Error(body?.message ?? `HTTP ${response.status}`);
    error.code = body?.error;
    throw error;
  }
  return body;
}

// ---------------------------------------------------------------------------
// widgets

function buildWidget(widget) {
  const tag =
    widget.kind === 'data'
      ? el('span', { class: 'tag sql' }, 'SQL')
      : el('span', { class: 'tag' }, 'metric');
  const body = el('div', { class: 'body' }, message('loading…'));
  const note = el('div', { class: 'note', hidden: true });
  const problem = el('div', { class: 'problem', role: 'alert', hidden: true });
  const root = el(
    'article',
    {
      class: `widget span-${widget.width}`,
      id: `widget-${widget.id}`,
      'data-widget': widget.id,
    },
    el('header', {}, el('h3', {}, widget.title), tag),
    el('p', { class: 'description' }, widget.description),
    body,
    note,
    problem,
  );
  const entry = { widget, root, body, note, problem, charts: [], signature: '' };
  state.widgets.set(widget.id, entry);
  return root;
}

function destroyCharts(entry) {
  for (const chart of entry.charts) chart.destroy();
  entry.charts = [];
}

function showProblem(entry, text) {
  entry.problem.textContent = `⚠ ${text}`;
  entry.problem.hidden = false;
  // Keep what was drawn, dimmed, so the page stays readable while it recovers.
  if (entry.signature) entry.body.classList.add('stale');
  else entry.body.replaceChildren(message('No data: see below.'));
  entry.root.dataset.state = 'error';
}

function render(entry, data) {
  entry.problem.hidden = true;
  entry.body.classList.remove('stale');
  entry.note.hidden = !data.note;
  entry.note.textContent = data.note ? `Locally: ${data.note}` : '';
  const body = data.body;
  entry.root.dataset.type = body.type;
  if (data.empty) {
    destroyCharts(entry);
    entry.signature = '';
    entry.body.replaceChildren(message(data.emptyMessage ?? 'No data in this time range.'));
    entry.root.dataset.state = body.type === 'unavailable' ? 'unavailable' : 'empty';
    return;
  }
  entry.root.dataset.state = 'ok';
  switch (body.type) {
    case 'timeseries':
      return renderTimeseries(entry, body);
    case 'cdf':
      return renderCdf(entry, body);
    case 'single-value':
      return replace(entry, renderSingles(body));
    case 'cards':
      return replace(entry, renderCards(body));
    case 'table':
      return replace(entry, renderTable(body));
    default:
      return replace(entry, message(body.message ?? 'Not available locally.'));
  }
}

function replace(entry, node) {
  destroyCharts(entry);
  entry.signature = 'static';
  entry.body.replaceChildren(node);
}

function renderSingles(body) {
  return el(
    'div',
    { class: 'singles' },
    body.values.map((v) =>
      el(
        'div',
        { class: 'single' },
        el('div', { class: 'label' }, v.label),
        el('div', { class: 'value' }, formatUnit(v.value, body.unit)),
      ),
    ),
  );
}

function renderCards(body) {
  return el(
    'div',
    { class: 'cards' },
    body.rows.map((row) =>
      el(
        'div',
        { class: 'card' },
        el('div', { class: 'title' }, String(row[body.title] ?? '')),
        el('div', { class: 'primary' }, format(row[body.primary.key], body.primary.format)),
        el(
          'div',
          { class: 'secondary' },
          body.secondary.map((c) =>
            el('div', {}, el('span', {}, c.label), el('span', {}, format(row[c.key], c.format))),
          ),
        ),
      ),
    ),
  );
}

function renderTable(body) {
  const maxima = new Map(
    body.columns
      .filter((c) => c.bar)
      .map((c) => [c.key, Math.max(1, ...body.rows.map((r) => Number(r[c.key]) || 0))]),
  );
  return el(
    'table',
    {},
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        body.columns.map((c) => el('th', { class: c.format === 'text' ? 'text' : '' }, c.label)),
      ),
    ),
    el(
      'tbody',
      {},
      body.rows.map((row) =>
        el(
          'tr',
          {},
          body.columns.map((c) => {
            const value = row[c.key];
            const cls = [c.format === 'text' ? 'text' : ''];
            if (c.format === 'pct' && typeof value === 'number') {
              cls.push(value > 0 ? 'pos' : value < 0 ? 'neg' : '');
            }
            const bar = c.bar
              ? el('span', {
                  class: 'bar',
                  style: {
                    width: `${Math.round((60 * (Number(value) || 0)) / maxima.get(c.key))}px`,
                  },
                })
              : null;
            return el('td', { class: cls.join(' ').trim() }, bar, format(value, c.format));
          }),
        ),
      ),
    ),
  );
}

/** One line per tick: seconds when ticks are under a minute apart, the date when days apart. */
function timeLabel(seconds, step) {
  const d = new Date(seconds * 1000);
  if (step >= 86_400) return d.toLocaleDateString(LOCALE, { month: 'short', day: 'numeric' });
  return d.toLocaleTimeString(LOCALE, {
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    ...(step < 60 ? { second: '2-digit' } : {}),
  });
}

function chartOptions(panel, unit, width, height) {
  return {
    width,
    height,
    scales: {
      x: { time: true },
      y: {
        range: (_u, min, max) => {
          if (min === null || max === null) return [0, 1];
          if (unit === 'USD' || unit === '%') {
            const pad = (max - min) * 0.1 || Math.abs(max) * 0.001 || 1;
            return [min - pad, max + pad];
          }
          return [Math.min(0, min), max > 0 ? max * 1.1 : 1];
        },
      },
    },
    series: [
      {
        label: 'time',
        value: (_u, v) => (v === null ? '' : new Date(v * 1000).toLocaleTimeString(LOCALE)),
      },
      ...panel.series.map((s, i) => ({
        label: s.label,
        stroke: COLORS[i % COLORS.length],
        width: 2,
        spanGaps: true,
        points: { size: 5 },
        value: (_u, v) => formatUnit(v, unit),
      })),
    ],
    axes: [
      {
        stroke: '#5d6b7a',
        grid: { stroke: '#eef1f5' },
        ticks: { stroke: '#dde3ea' },
        space: 70,
        values: (_u, ticks) => {
          const step = ticks.length > 1 ? ticks[1] - ticks[0] : 60;
          return ticks.map((t) => timeLabel(t, step));
        },
      },
      {
        stroke: '#5d6b7a',
        grid: { stroke: '#eef1f5' },
        ticks: { stroke: '#dde3ea' },
        size: unit === 'USD' ? 78 : 58,
        values: (_u, values) => values.map((v) => axisValue(v, unit)),
      },
    ],
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false } },
  };
}

function renderTimeseries(entry, body) {
  const multiple = body.panels.length > 1 || body.panels[0]?.title;
  const signature = JSON.stringify([
    body.panels.map((p) => [p.title, p.series.map((s) => s.label)]),
    body.unit,
  ]);
  const toData = (panel) => [panel.x, ...panel.series.map((s) => s.values)];
  if (signature === entry.signature && entry.charts.length === body.panels.length) {
    body.panels.forEach((panel, i) => {
      entry.charts[i].setData(toData(panel));
    });
    return;
  }
  destroyCharts(entry);
  entry.signature = signature;
  const width = entry.body.clientWidth || entry.root.clientWidth - 24;
  if (!multiple) {
    const holder = el('div', {});
    entry.body.replaceChildren(holder);
    const panel = body.panels[0];
    entry.charts.push(new uPlot(chartOptions(panel, body.unit, width, 200), toData(panel), holder));
    return;
  }
  const grid = el('div', { class: 'panels' });
  entry.body.replaceChildren(grid);
  const holders = body.panels.map((panel) => {
    const holder = el('div', { class: 'panel' }, el('h4', {}, panel.title ?? ''));
    grid.append(holder);
    return holder;
  });
  body.panels.forEach((panel, i) => {
    const holder = holders[i];
    const panelWidth = holder.clientWidth || 300;
    entry.charts.push(
      new uPlot(chartOptions(panel, body.unit, panelWidth, 160), toData(panel), holder),
    );
  });
}

/**
 * A cumulative distribution per series on one chart: x the value (log
 * scale), y the share of rows at or below it. The series' points go onto
 * one ascending x axis, null where a series has none.
 */
function renderCdf(entry, body) {
  const xs = [...new Set(body.series.flatMap((s) => s.points.map(([x]) => Math.max(1, x))))].sort(
    (a, b) => a - b,
  );
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns = body.series.map((s) => {
    const ys = xs.map(() => null);
    for (const [x, share] of s.points) ys[index.get(Math.max(1, x))] = share;
    return ys;
  });
  destroyCharts(entry);
  entry.signature = 'cdf';
  const holder = el('div', {});
  entry.body.replaceChildren(holder);
  const width = entry.body.clientWidth || entry.root.clientWidth - 24;
  const options = {
    width,
    height: 200,
    scales: { x: { time: false, distr: 3, log: 10 }, y: { range: [0, 1] } },
    series: [
      { label: body.unit, value: (_u, v) => (v === null ? '' : formatUnit(v, body.unit)) },
      ...body.series.map((s, i) => ({
        label: `${s.label} (${numberFormat(0).format(s.records)})`,
        stroke: COLORS[i % COLORS.length],
        width: 2,
        spanGaps: true,
        points: { show: false },
        value: (_u, v) => (v === null ? '' : `${numberFormat(1).format(v * 100)} %`),
      })),
    ],
    axes: [
      {
        stroke: '#5d6b7a',
        grid: { stroke: '#eef1f5' },
        ticks: { stroke: '#dde3ea' },
        values: (_u, values) => values.map((v) => axisValue(v, body.unit)),
      },
      {
        stroke: '#5d6b7a',
        grid: { stroke: '#eef1f5' },
        ticks: { stroke: '#dde3ea' },
        size: 50,
        values: (_u, values) => values.map((v) => `${numberFormat(0).format(v * 100)}%`),
      },
    ],
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false } },
  };
  entry.charts.push(new uPlot(options, [xs, ...columns], holder));
}

async function refreshWidget(entry) {
  try {
    const data = await getJson(`/api/widgets/${entry.widget.id}?${rangeQuery()}`);
    render(entry, data);
    return undefined;
  } catch (error) {
    showProblem(entry, error.message);
    return error;
  }
}

// ---------------------------------------------------------------------------
// status and banners

function setBanners(items) {
  document
    .getElementById('banners')
    .replaceChildren(
      ...items.map(({ level, text }) =>
        el('div', { class: `banner ${level}`, role: 'alert' }, text),
      ),
    );
}

async function refreshStatus(widgetErrors) {
  const banners = [];
  const statusBox = document.getElementById('status');
  const updated = `updated ${new Date().toLocaleTimeString(LOCALE)}`;
  try {
    const status = await getJson('/api/status');
    const c = status.collector;
    const db = status.database;
    statusBox.replaceChildren(
      updated,
      el(
        'span',
        { class: `pill ${db.ok ? 'ok' : 'bad'}`, id: 'db-status' },
        db.ok ? 'PostgreSQL' : 'PostgreSQL down',
      ),
      el(
        'span',
        { class: 'pill', title: 'EMF documents read from function output' },
        `${c.emfDocuments} EMF docs`,
      ),
    );
    if (!db.ok) {
      banners.push({
        level: 'bad',
        text: `PostgreSQL is not reachable (${db.message}). Widgets show their last data, dimmed; the page retries every refresh.`,
      });
    }
    if (c.malformedLines > 0 && c.lastMalformed) {
      banners.push({
        level: 'warn',
        text: `${c.malformedLines} malformed EMF line${c.malformedLines === 1 ? '' : 's'} ignored. Last: ${c.lastMalformed.function} at ${new Date(c.lastMalformed.time).toLocaleTimeString(LOCALE)}: ${c.lastMalformed.reason}.`,
      });
    }
    if (c.warnings > 0 && c.lastWarning) {
      banners.push({
        level: 'warn',
        text: `${c.warnings} EMF document${c.warnings === 1 ? '' : 's'} only partly readable. Last: ${c.lastWarning.function}: ${c.lastWarning.reason}.`,
      });
    }
    if (c.lastWriteError) {
      banners.push({
        level: 'bad',
        text: `Metric points could not be stored (${c.lastWriteError.message}); ${c.pending} wait in memory${c.dropped ? `, ${c.dropped} dropped` : ''}.`,
      });
    }
  } catch (error) {
    statusBox.replaceChildren(updated, el('span', { class: 'pill bad' }, 'server down'));
    banners.push({ level: 'bad', text: error.message });
  }
  const rangeError = widgetErrors.find((e) => e?.code === 'bad-range');
  if (rangeError) {
    banners.push({ level: 'bad', text: `Time range: ${rangeError.message}` });
  }
  setBanners(banners);
}

// ---------------------------------------------------------------------------
// refresh loop

async function refreshAll() {
  if (state.loading) return;
  state.loading = true;
  try {
    const errors = await Promise.all([...state.widgets.values()].map(refreshWidget));
    await refreshStatus(errors);
    document.body.dataset.refreshed = String(Date.now());
  } finally {
    state.loading = false;
  }
}

function schedule() {
  clearTimeout(state.timer);
  if (state.refreshSeconds <= 0) return;
  state.timer = setTimeout(async () => {
    if (!document.hidden) await refreshAll();
    schedule();
  }, state.refreshSeconds * 1000);
}

function resizeCharts() {
  for (const entry of state.widgets.values()) {
    for (const chart of entry.charts) {
      const holder = chart.root.parentElement;
      const width = holder?.clientWidth;
      if (width) chart.setSize({ width, height: chart.height });
    }
  }
}

async function start() {
  const main = document.getElementById('dashboard');
  try {
    state.definition = await getJson('/api/dashboard');
  } catch (error) {
    main.replaceChildren(message(`Cannot load the dashboard definition: ${error.message}`));
    return;
  }
  state.refreshSeconds = state.definition.refreshSeconds;
  document.getElementById('refresh').value = String(state.refreshSeconds);
  state.range = readHash();
  renderRangeButtons();
  main.replaceChildren(
    ...state.definition.sections.map((section) =>
      el(
        'section',
        {},
        el('h2', {}, section.title),
        el('div', { class: 'grid' }, section.widgets.map(buildWidget)),
      ),
    ),
  );
  window.addEventListener('hashchange', () => {
    state.range = readHash();
    renderRangeButtons();
    for (const entry of state.widgets.values()) entry.signature = '';
    void refreshAll();
  });
  document.getElementById('refresh').addEventListener('change', (event) => {
    state.refreshSeconds = Number(event.target.value);
    schedule();
  });
  document.getElementById('refresh-now').addEventListener('click', () => void refreshAll());
  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(resizeCharts, 150);
  });
  await refreshAll();
  schedule();
}

void start();
