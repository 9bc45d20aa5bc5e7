// The HTML report's charts: drawn from the JSON in #report-data by uPlot,
// both inlined in the page, so it opens with no network. Each chart that
// cannot be drawn shows an error panel in its place instead of stopping the
// page. body[data-ready] is set when every chart has been tried.
//
// Every number is formatted with an explicit locale: a browser started with
// LANG=C.UTF-8 reports en-US@posix, which Intl rejects.

const uPlot = globalThis.uPlot;
const LOCALE = 'en-US';
const DATA = JSON.parse(document.getElementById('report-data').textContent);
const WIDTH = 960;
const HEIGHT = 400;

const COLORS = [
  '#2563eb',
  '#ea580c',
  '#16a34a',
  '#9333ea',
  '#dc2626',
  '#0891b2',
  '#ca8a04',
  '#db2777',
];
const REFERENCE = '#6b7280';

const number = (digits) =>
  new Intl.NumberFormat(LOCALE, { maximumFractionDigits: digits, minimumFractionDigits: 0 });

/** A duration for people: ms below a second, seconds above. */
function seconds(ms) {
  if (ms === null || ms === undefined) return '–';
  if (Math.abs(ms) < 1000) return `${number(Math.abs(ms) < 10 ? 1 : 0).format(ms)} ms`;
  const s = ms / 1000;
  return `${number(s < 10 ? 1 : 0).format(s)} s`;
}

/** Axis labels: uPlot hands null for ticks it leaves unlabelled (log scales' minor ticks). */
const ticks = (format) => (_u, values) =>
  values.map((v) => (v === null || v === undefined ? '' : format(v)));

// Times as npm run compare writes them: UTC, 24-hour, whatever the browser's zone and locale.
const utcMinute = (seconds) => new Date(seconds * 1000).toISOString().slice(11, 16);
const utcDateTime = (seconds) =>
  new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
const utcDate = (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');

function usd(value) {
  if (value === null || value === undefined) return '–';
  return `$${number(value < 0.01 ? 5 : value < 1 ? 4 : 2).format(value)}`;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'class') node.className = value;
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Series of [x, y] points onto one ascending x axis, null where a series has no point. */
function align(series) {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns = series.map((s) => {
    const ys = xs.map(() => null);
    for (const [x, y] of s.points) ys[index.get(x)] = y;
    return ys;
  });
  return [xs, ...columns];
}

function checkFinite(data, chart) {
  for (const column of data) {
    for (const value of column) {
      if (value !== null && !Number.isFinite(value)) {
        throw new Error(`${chart}: a value is not a number (${value})`);
      }
    }
  }
  if ((data[0] ?? []).length === 0) throw new Error(`${chart}: nothing to draw`);
}

/**
 * Reference marks drawn on the canvas: lines at an x or y value, or points,
 * each with a label (the original study's figures, measured baselines).
 */
function marksPlugin(marks) {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx, bbox } = u;
          const ratio = devicePixelRatio || 1;
          ctx.save();
          ctx.font = `${12 * ratio}px system-ui, sans-serif`;
          ctx.lineWidth = 1.5 * ratio;
          // uPlot leaves the context as its last axis label set it.
          ctx.textAlign = 'left';
          ctx.textBaseline = 'alphabetic';
          for (const mark of marks) {
            ctx.strokeStyle = mark.color ?? REFERENCE;
            ctx.fillStyle = mark.color ?? REFERENCE;
            if (mark.x !== undefined && mark.y !== undefined) {
              const x = u.valToPos(mark.x, 'x', true);
              const y = u.valToPos(mark.y, 'y', true);
              ctx.beginPath();
              ctx.moveTo(x - 7 * ratio, y - 7 * ratio);
              ctx.lineTo(x + 7 * ratio, y + 7 * ratio);
              ctx.moveTo(x - 7 * ratio, y + 7 * ratio);
              ctx.lineTo(x + 7 * ratio, y - 7 * ratio);
              ctx.stroke();
              ctx.fillText(mark.label, x + 9 * ratio, y + (mark.below ? 16 : -6) * ratio);
              continue;
            }
            ctx.setLineDash([6 * ratio, 4 * ratio]);
            ctx.beginPath();
            if (mark.x !== undefined) {
              const x = u.valToPos(mark.x, 'x', true);
              ctx.moveTo(x, bbox.top);
              ctx.lineTo(x, bbox.top + bbox.height);
              ctx.stroke();
              const labelY = mark.bottom
                ? bbox.top + bbox.height - (6 + (mark.row ?? 0) * 14) * ratio
                : bbox.top + (14 + (mark.row ?? 0) * 14) * ratio;
              ctx.fillText(mark.label, x + 4 * ratio, labelY);
            } else {
              const y = u.valToPos(mark.yLine, 'y', true);
              ctx.moveTo(bbox.left, y);
              ctx.lineTo(bbox.left + bbox.width, y);
              ctx.stroke();
              const labelX = mark.left
                ? bbox.left + 4 * ratio
                : bbox.left + bbox.width - ctx.measureText(mark.label).width - 4 * ratio;
              ctx.fillText(mark.label, labelX, y + (mark.below ? 14 : -4) * ratio);
            }
            ctx.setLineDash([]);
          }
          ctx.restore();
        },
      ],
    },
  };
}

/** Value labels above bars: `labels[seriesIndex][i]` over bar i of that series. */
function barLabelsPlugin(labelsAt) {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx } = u;
          const ratio = devicePixelRatio || 1;
          ctx.save();
          ctx.font = `${12 * ratio}px system-ui, sans-serif`;
          ctx.fillStyle = '#1f2933';
          ctx.textAlign = 'center';
          ctx.textBaseline = 'alphabetic';
          for (const { x, y, text } of labelsAt(u)) {
            ctx.fillText(text, u.valToPos(x, 'x', true), u.valToPos(y, 'y', true) - 6 * ratio);
          }
          ctx.restore();
        },
      ],
    },
  };
}

const axis = (extra = {}) => ({
  stroke: '#5d6b7a',
  grid: { stroke: '#eef1f5' },
  ticks: { stroke: '#dde3ea' },
  ...extra,
});

function logRange(lo, hi) {
  return (_u, min, max) =>
    uPlot.rangeLog(Math.min(min ?? lo, lo), Math.max(max ?? hi, hi), 10, true);
}

const figures = [];

function chart(id, title, what, build, caption) {
  const holder = el('div', { class: 'plot' });
  const figure = el(
    'figure',
    { 'data-chart': id, id: `chart-${id}` },
    el('h2', {}, title),
    el('p', { class: 'what' }, what),
    holder,
    caption ? el('figcaption', {}, caption) : null,
  );
  document.getElementById('charts').append(figure);
  figures.push({ id, figure, holder, build });
}

function drawAll() {
  for (const { id, figure, holder, build } of figures) {
    try {
      const { options, data } = build();
      checkFinite(data, id);
      new uPlot(
        {
          width: WIDTH,
          height: HEIGHT,
          legend: { live: false },
          cursor: { show: false },
          ...options,
        },
        data,
        holder,
      );
      figure.dataset.state = 'ok';
    } catch (error) {
      figure.dataset.state = 'error';
      holder.replaceChildren(
        el('div', { class: 'chart-error', role: 'alert' }, `⚠ ${error.message}`),
      );
    }
  }
}

// ---------------------------------------------------------------------------
// the charts

const ref = DATA.reference;

function latencyCdf() {
  const series = DATA.cdf.map((s) => ({
    points: s.points.map(([ms, share]) => [Math.max(1, ms), share]),
  }));
  const data = align(series);
  return {
    options: {
      scales: {
        x: { time: false, distr: 3, log: 10, range: logRange(100, ref.spark.p95Ms * 1.5) },
        y: { range: [0, 1] },
      },
      axes: [
        axis({
          label: 'end-to-end latency (log scale)',
          values: ticks((ms) => seconds(ms)),
        }),
        axis({
          label: 'share of records at or below',
          values: ticks((x) => `${number(0).format(x * 100)} %`),
        }),
      ],
      series: [
        {},
        ...DATA.cdf.map((s, i) => ({
          label: `${s.label} (${number(0).format(s.records)} records)`,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          spanGaps: true,
          points: { show: false },
        })),
      ],
      plugins: [
        marksPlugin([
          { x: ref.flink.p50Ms, y: 0.5, label: 'Flink p50 ≈ 1.5 s' },
          { x: ref.flink.p95Ms, y: 0.95, label: 'Flink p95 ≈ 3.5 s', below: true },
          { x: ref.spark.p95Ms, y: 0.95, label: 'Spark p95 ≈ 14 s', below: true },
          { x: ref.spark.avgMs, label: 'Spark avg 8.83 s', bottom: true },
          { x: ref.flink.avgMs, label: 'Flink avg 2.23 s', bottom: true, row: 1 },
        ]),
      ],
    },
    data,
  };
}

function latencyParts() {
  const bars = DATA.parts;
  const x = bars.map((_, i) => i);
  const put = bars.map((b) => b.putMs);
  const putWait = bars.map((b) => b.putMs + b.waitMs);
  const total = bars.map((b) => b.putMs + b.waitMs + b.writeMs);
  const bar = uPlot.paths.bars({ size: [0.5, 120] });
  return {
    options: {
      scales: {
        x: { time: false, range: [-0.5, bars.length - 0.5] },
        y: { range: (_u, _min, max) => [0, (max ?? 1) * 1.15] },
      },
      axes: [
        axis({
          splits: () => x,
          values: ticks((i) => bars[i]?.label ?? ''),
          grid: { show: false },
        }),
        axis({ label: 'mean latency', values: ticks(seconds) }),
      ],
      // Drawn tallest first: each part is the band between its cumulative value and the one below.
      series: [
        {},
        {
          label: 'write (received → processed)',
          fill: '#9333ea',
          stroke: '#9333ea',
          paths: bar,
          points: { show: false },
        },
        {
          label: 'wait: polling and batching (ingested → received)',
          fill: '#ea580c',
          stroke: '#ea580c',
          paths: bar,
          points: { show: false },
        },
        {
          label: 'put (fetched → ingested)',
          fill: '#2563eb',
          stroke: '#2563eb',
          paths: bar,
          points: { show: false },
        },
      ],
      plugins: [
        barLabelsPlugin(() =>
          bars.map((b, i) => ({
            x: i,
            y: total[i],
            text: `${seconds(total[i])}: put ${seconds(b.putMs)}, wait ${seconds(b.waitMs)}, write ${seconds(b.writeMs)}`,
          })),
        ),
      ],
    },
    data: [x, total, putWait, put],
  };
}

function throughput() {
  const t = DATA.throughput;
  return {
    options: {
      ...(t.x === 'time' ? { tzDate: utcDate } : {}),
      scales: {
        x: { time: t.x === 'time' },
        y: { range: (_u, _min, max) => [0, Math.max(1, (max ?? 1) * 1.15)] },
      },
      axes: [
        axis(
          t.x === 'time'
            ? {
                label: 'minute (UTC)',
                // Ticks on whole minutes only: a label per minute, never one repeated.
                incrs: [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400],
                values: ticks(utcMinute),
              }
            : {
                label: 'seconds since the load started',
                values: ticks((s) => number(0).format(s)),
              },
        ),
        axis({ label: 'records per minute', values: ticks((n) => number(0).format(n)) }),
      ],
      series: [
        t.x === 'time' ? { value: (_u, v) => (v == null ? '' : `${utcDateTime(v)} UTC`) } : {},
        ...t.series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          points: { show: true, size: 5 },
        })),
      ],
      plugins: [
        marksPlugin([
          {
            yLine: ref.recordsPerMinute,
            label: `original study ≈ ${ref.recordsPerMinute} records/min`,
          },
        ]),
      ],
    },
    data: [t.points, ...t.series.map((s) => s.perMinute)],
  };
}

function completeness() {
  const bars = DATA.completeness;
  const x = bars.map((_, i) => i);
  const share = bars.map((b) => (b.expected > 0 ? (100 * b.written) / b.expected : 0));
  return {
    options: {
      scales: { x: { time: false, range: [-0.5, bars.length - 0.5] }, y: { range: [0, 110] } },
      axes: [
        axis({
          splits: () => x,
          values: ticks((i) => bars[i]?.label ?? ''),
          grid: { show: false },
        }),
        axis({
          label: 'written of the events sent (in flight apart)',
          values: ticks((p) => (p > 100 ? '' : `${number(0).format(p)} %`)),
        }),
      ],
      series: [
        {},
        {
          label: 'written',
          fill: '#16a34a',
          stroke: '#16a34a',
          paths: uPlot.paths.bars({ size: [0.5, 120] }),
          points: { show: false },
        },
      ],
      plugins: [
        barLabelsPlugin(() =>
          bars.map((b, i) => ({
            x: i,
            y: share[i],
            text:
              `${number(1).format(share[i])} % (${number(0).format(b.written)} of ${number(0).format(b.expected)})` +
              (b.inFlight > 0 ? `, ${number(0).format(b.inFlight)} in flight` : ''),
          })),
        ),
      ],
    },
    data: [x, share],
  };
}

function latencyByWindow(load) {
  const settings = DATA.study.settings.filter((s) => s.load === load);
  const batch = settings.filter((s) => s.consumer === 'batch');
  const sizes = [...new Set(batch.map((s) => s.batchSize))].sort((a, b) => a - b);
  const series = [];
  const columns = [];
  const windows = [...new Set(batch.map((s) => s.batchingWindowSeconds))].sort((a, b) => a - b);
  sizes.forEach((size, i) => {
    for (const [p, key, dash] of [
      ['p50', 'p50Ms', undefined],
      ['p95', 'p95Ms', [8, 5]],
    ]) {
      series.push({
        label: `batch size ${number(0).format(size)} ${p}`,
        stroke: COLORS[i % COLORS.length],
        width: 2,
        dash,
        points: { show: true, size: 6 },
        spanGaps: true,
      });
      columns.push(
        windows.map(
          (w) =>
            batch.find((s) => s.batchSize === size && s.batchingWindowSeconds === w)?.[key] ?? null,
        ),
      );
    }
  });
  const realtimeMarks = settings
    .filter((s) => s.consumer === 'realtime')
    .map((s, i) => ({
      yLine: s.p50Ms,
      label: `measured realtime ${s.mode === 'efo' ? 'enhanced fan-out' : 'standard'} p50 ${seconds(s.p50Ms)}`,
      left: true,
      below: i % 2 === 1,
      color: '#0891b2',
    }));
  return {
    options: {
      scales: {
        x: { time: false },
        y: { range: (_u, _min, max) => [0, Math.max(max ?? 1, ref.spark.p95Ms) * 1.1] },
      },
      axes: [
        axis({
          label: 'batching window (seconds)',
          splits: () => windows,
          values: ticks((w) => `${w} s`),
        }),
        axis({ label: 'end-to-end latency', values: ticks(seconds) }),
      ],
      series: [{}, ...series],
      plugins: [
        marksPlugin([
          { yLine: ref.spark.p95Ms, label: 'Spark p95 ≈ 14 s (original study)' },
          { yLine: ref.spark.avgMs, label: 'Spark avg 8.83 s (original study)' },
          { yLine: ref.flink.p95Ms, label: 'Flink p95 ≈ 3.5 s (original study)' },
          { yLine: ref.flink.p50Ms, label: 'Flink p50 ≈ 1.5 s (original study)' },
          ...realtimeMarks,
        ]),
      ],
    },
    data: [windows, ...columns],
  };
}

function costVsLatency() {
  const groups = new Map();
  for (const s of DATA.study.settings) {
    if (s.p95Ms === null) continue;
    const name =
      s.consumer === 'realtime'
        ? `realtime ${s.mode === 'efo' ? 'enhanced fan-out' : 'standard'} @${s.load}`
        : `batch size ${number(0).format(s.batchSize)} @${s.load}`;
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push([Math.max(1, s.p95Ms), Math.max(1e-6, s.costPerMillionUsd)]);
  }
  const named = [...groups].map(([label, points]) => ({
    label,
    points: points.sort((a, b) => a[0] - b[0]),
  }));
  const loads = [...new Set(DATA.study.settings.map((s) => s.load))];
  return {
    options: {
      scales: {
        x: { time: false, distr: 3, log: 10, range: logRange(50, ref.spark.p95Ms * 1.5) },
        y: { distr: 3, log: 10 },
      },
      axes: [
        axis({
          label: 'p95 end-to-end latency (log scale)',
          values: ticks((ms) => seconds(ms)),
        }),
        axis({
          label: 'USD per million events (log scale)',
          size: 70,
          values: ticks((x) => usd(x)),
        }),
      ],
      series: [
        {},
        ...named.map((g, i) => ({
          label: g.label,
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          dash: loads.indexOf(g.label.split('@')[1]) > 0 ? [6, 4] : undefined,
          spanGaps: true,
          points: { show: true, size: 8, fill: COLORS[i % COLORS.length] },
        })),
      ],
      plugins: [
        marksPlugin([
          { x: ref.flink.p95Ms, label: 'Flink p95 ≈ 3.5 s' },
          { x: ref.spark.p95Ms, label: 'Spark p95 ≈ 14 s' },
        ]),
      ],
    },
    data: align(named),
  };
}

/** The study's table, as the terminal and the README show it (bench/study/result.ts). */
function studyTable() {
  const { headers, rows } = DATA.study.table;
  return el(
    'table',
    { class: 'settings' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headers.map((h) => el('th', {}, h)),
      ),
    ),
    el(
      'tbody',
      {},
      rows.map((row) =>
        el(
          'tr',
          {},
          row.map((cell) => el('td', {}, cell)),
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------
// the page

document.getElementById('title').textContent = DATA.title;
document.getElementById('source').textContent = DATA.source;
document.getElementById('generated').textContent =
  `Generated ${DATA.generatedAt.replace('T', ' ').slice(0, 19)} UTC.`;

chart(
  'latency-cdf',
  'Latency distribution per consumer',
  'Share of records written within a given end-to-end latency (processed_at − fetched_at). Crosses: the original study’s Flink and Spark percentiles.',
  latencyCdf,
);
chart(
  'latency-parts',
  'Where the latency goes',
  'Mean end-to-end latency per consumer, split into its parts: producer to Kinesis, waiting for the poller and the batching window, and the database write.',
  latencyParts,
);
chart(
  'throughput',
  'Throughput per minute',
  'Records each consumer wrote per minute. The batched consumer writes in bursts, one per batching window.',
  throughput,
);
chart(
  'completeness',
  'Completeness',
  'Records each consumer wrote, of the events it was sent (from the database: of the events either consumer wrote).',
  completeness,
);
if (DATA.study) {
  const loads = [
    ...new Set(DATA.study.settings.filter((s) => s.consumer === 'batch').map((s) => s.load)),
  ];
  for (const load of loads) {
    chart(
      `latency-by-window-${load.replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '')}`,
      `Latency against the batching window (${load} load)`,
      'Batched consumer p50 (solid) and p95 (dashed) per batching window and batch size; dashed grey lines: the original study.',
      () => latencyByWindow(load),
    );
  }
  chart(
    'cost-vs-latency',
    'Cost against latency: the trade-off',
    `Lambda cost per million events on AWS (${DATA.study.region}, prices read ${DATA.study.pricesReadOn}) against p95 latency, one point per setting; dashed lines: the second load.`,
    costVsLatency,
    'Cost per million events is what a setting changes (Lambda requests and GB-seconds at the measured duration, enhanced fan-out data); shards, PUT units and the database are the same for every setting and are in the table’s all-in column.',
  );
  const section = el(
    'figure',
    { 'data-table': 'settings' },
    el('h2', {}, 'Every setting of the study'),
    el(
      'p',
      { class: 'what' },
      `${DATA.study.settings.length} settings in ${number(0).format(DATA.study.durationSeconds)} s; load average ${DATA.study.loadAverage.before.join(' ')} before, ${DATA.study.loadAverage.after.join(' ')} after.`,
    ),
    studyTable(),
  );
  document.getElementById('charts').append(section);
}

drawAll();
document.body.dataset.ready = 'true';
