import {
  CONSUMERS,
  type CompareReport,
  type ConsumerReport,
  type LatencyParts,
  type PartStats,
  type SymbolStats,
} from '../../lambdas/shared/compare-report.ts';
import { DEFAULT_RANGE_HELP, formatDuration } from '../../lambdas/shared/report-window.ts';
import { formatUtc, formatUtcClock, formatUtcRange } from '../../lambdas/shared/time-format.ts';
import { renderTable } from '../../local/shared/text-table.ts';

/** The terminal report: aligned tables, units in the headers, consumers side by side. */

/** Minute rows shown in the terminal; --json has every minute. */
export const MAX_MINUTE_ROWS = 30;

const number = (digits: number) =>
  new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const integer = number(0);
const oneDecimal = number(1);
const twoDecimals = number(2);
const NONE = '-';

export const formatCount = (n: number): string => integer.format(n);
export const formatMs = (ms: number | null | undefined): string =>
  ms == null ? NONE : oneDecimal.format(ms);
export const formatSeconds = (s: number | null | undefined): string =>
  s == null ? NONE : oneDecimal.format(s);
/** Two decimals from 1 up (86,746.07); four significant digits below (0.1500, 0.00001234). */
export const formatPrice = (price: number | null | undefined): string =>
  price == null ? NONE : price >= 1 ? twoDecimals.format(price) : price.toPrecision(4);

const clock = (iso: string) => formatUtcClock(iso, 'millisecond');

export function renderReport(report: CompareReport): string {
  return [
    ...header(report),
    '',
    ...latency(report),
    '',
    ...latencyParts(report),
    '',
    ...latest(report),
    '',
    ...perSymbol(report),
    '',
    ...perMinute(report),
    '',
    ...completeness(report),
    '',
    ...summary(report),
  ].join('\n');
}

function header(report: CompareReport): string[] {
  const lines = [
    `pricestream compare: silver.prices, ${formatUtcRange(report.window.since, report.window.until)} ` +
      `(${formatDuration(report.window.seconds * 1000)})`,
    'Rows with processed_at in the window, by the database clock. Latency = processed_at − fetched_at;',
    'percentiles by PostgreSQL percentile_cont (interpolated).',
    ...(report.window.fitted
      ? [`Default range: ${DEFAULT_RANGE_HELP}; --since sets another.`]
      : []),
  ];
  for (const consumer of CONSUMERS) {
    if (report.consumers[consumer].records === 0) {
      lines.push(`Note: no ${consumer} rows in this window. Is the ${consumer} consumer running?`);
    }
  }
  return lines;
}

function latency(report: CompareReport): string[] {
  const rows = CONSUMERS.map((consumer) => {
    const c = report.consumers[consumer];
    const l = c.latencyMs;
    return [
      consumer,
      formatCount(c.records),
      formatMs(l?.avg),
      formatMs(l?.min),
      formatMs(l?.p50),
      formatMs(l?.p95),
      formatMs(l?.p99),
      formatMs(l?.max),
    ];
  });
  return [
    'End-to-end latency, ms (processed_at − fetched_at)',
    ...renderTable(
      [
        { header: 'consumer' },
        ...['records', 'avg', 'min', 'p50', 'p95', 'p99', 'max'].map((header) => ({
          header,
          align: 'right' as const,
        })),
      ],
      rows,
      { indent: '  ' },
    ),
  ];
}

const PARTS: Array<[keyof LatencyParts, string]> = [
  ['fetchedToIngested', 'fetched → ingested'],
  ['ingestedToReceived', 'ingested → received'],
  ['receivedToProcessed', 'received → processed'],
];

function latencyParts(report: CompareReport): string[] {
  const cells = (part: PartStats | undefined) => [
    formatMs(part?.avg),
    formatMs(part?.p50),
    formatMs(part?.p95),
  ];
  const rows = PARTS.map(([key, label]) => [
    label,
    ...CONSUMERS.flatMap((consumer) => cells(report.consumers[consumer].latencyPartsMs?.[key])),
  ]);
  const stats = ['avg', 'p50', 'p95'].map((header) => ({ header, align: 'right' as const }));
  return [
    'Latency parts, ms',
    ...renderTable([{ header: 'part' }, ...stats, ...stats], rows, {
      indent: '  ',
      groups: [{ label: '', span: 1 }, ...CONSUMERS.map((label) => ({ label, span: 3 }))],
    }),
    '  ingested: Kinesis arrival; received: handler start (polling and batching wait before it);',
    '  processed: the insert, by the database clock.',
  ];
}

function latest(report: CompareReport): string[] {
  const rows = CONSUMERS.flatMap((consumer) =>
    report.consumers[consumer].latest.map((r) => [
      consumer,
      clock(r.processedAt),
      r.symbol,
      formatPrice(r.price),
      formatMs(r.latencyMs),
      r.eventId.length > 36 ? `${r.eventId.slice(0, 35)}…` : r.eventId,
    ]),
  );
  if (rows.length === 0) return ['Latest records: none'];
  return [
    'Latest records (5 per consumer, newest first; UTC)',
    ...renderTable(
      [
        { header: 'consumer' },
        { header: 'processed' },
        { header: 'symbol' },
        { header: 'price', align: 'right' },
        { header: 'latency ms', align: 'right' },
        { header: 'event id' },
      ],
      rows,
      { indent: '  ' },
    ),
  ];
}

function perSymbol(report: CompareReport): string[] {
  const cells = (s: SymbolStats | null) =>
    s
      ? [
          formatCount(s.records),
          formatPrice(s.avgPrice),
          formatPrice(s.minPrice),
          formatPrice(s.maxPrice),
        ]
      : ['0', NONE, NONE, NONE];
  const rows = report.perSymbol.map((s) => [
    s.symbol,
    ...CONSUMERS.flatMap((consumer) => cells(s[consumer])),
  ]);
  const stats = ['records', 'avg', 'min', 'max'].map((header) => ({
    header,
    align: 'right' as const,
  }));
  return [
    'Prices per symbol',
    ...renderTable([{ header: 'symbol' }, ...stats, ...stats], rows, {
      indent: '  ',
      groups: [{ label: '', span: 1 }, ...CONSUMERS.map((label) => ({ label, span: 4 }))],
    }),
  ];
}

function perMinute(report: CompareReport): string[] {
  const all = report.perMinute;
  const shown = all.slice(-MAX_MINUTE_ROWS);
  const title =
    shown.length < all.length
      ? `Records per minute (UTC; last ${shown.length} of ${all.length} minutes, --json has all)`
      : 'Records per minute (UTC minutes by processed_at, zero-filled)';
  return [
    title,
    ...renderTable(
      [{ header: 'minute' }, ...CONSUMERS.map((header) => ({ header, align: 'right' as const }))],
      shown.map((m) => [
        formatUtc(m.minute, 'minute').slice(sameDay(report) ? 11 : 0),
        formatCount(m.realtime),
        formatCount(m.batch),
      ]),
      { indent: '  ' },
    ),
    '  The first and last minutes are partial when the window does not start or end on a minute.',
  ];
}

const sameDay = (report: CompareReport) =>
  report.window.since.slice(0, 10) === report.window.until.slice(0, 10);

function completeness(report: CompareReport): string[] {
  const { events, missingFrom, duplicateRows } = report.completeness;
  const lines = [`Completeness: ${formatCount(events)} events have a row in the window`];
  for (const consumer of CONSUMERS) {
    const missing = missingFrom[consumer];
    lines.push(`  missing from ${consumer}: ${formatCount(missing.count)}`);
    if (missing.inFlight > 0) {
      lines.push(
        `  in flight to ${consumer}: ${formatCount(missing.inFlight)} (reached Kinesis < ${formatCount(missing.inFlightSeconds)} s ago: within its window and poll)`,
      );
    }
    lines.push(...wrap('e.g. ', missing.examples, '    '));
  }
  lines.push(
    `  duplicate rows (same consumer and event_id): ${CONSUMERS.map(
      (consumer) => `${consumer} ${formatCount(duplicateRows[consumer])}`,
    ).join(', ')}`,
  );
  return lines;
}

function summary(report: CompareReport): string[] {
  const row = (
    label: string,
    pick: (c: ConsumerReport, consumer: (typeof CONSUMERS)[number]) => string,
  ) => [label, ...CONSUMERS.map((consumer) => pick(report.consumers[consumer], consumer))];
  const { missingFrom, duplicateRows } = report.completeness;
  return [
    'Summary',
    ...renderTable(
      [{ header: '' }, ...CONSUMERS.map((header) => ({ header, align: 'right' as const }))],
      [
        row('records', (c) => formatCount(c.records)),
        row('throughput, records/min while fetching', (c) =>
          c.throughputPerMinute === null ? NONE : oneDecimal.format(c.throughputPerMinute),
        ),
        row('latency avg, ms', (c) => formatMs(c.latencyMs?.avg)),
        row('latency p50, ms', (c) => formatMs(c.latencyMs?.p50)),
        row('latency p95, ms', (c) => formatMs(c.latencyMs?.p95)),
        row('latency p99, ms', (c) => formatMs(c.latencyMs?.p99)),
        row('freshness, s since last write', (c) => formatSeconds(c.freshnessSeconds)),
        row('events missing', (_, consumer) => formatCount(missingFrom[consumer].count)),
        row('events in flight', (_, consumer) => formatCount(missingFrom[consumer].inFlight)),
        row('duplicate rows', (_, consumer) => formatCount(duplicateRows[consumer])),
      ],
      { indent: '  ' },
    ),
  ];
}

/** `e.g. a, b, c` over as many lines as it takes to stay within the report's width. */
function wrap(lead: string, items: string[], indent: string, width = 96): string[] {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    const next = line ? `${line}, ${item}` : `${indent}${lead}${item}`;
    if (line && next.length + 1 > width) {
      lines.push(`${line},`);
      line = `${indent}${' '.repeat(lead.length)}${item}`;
    } else {
      line = next;
    }
  }
  return line ? [...lines, line] : lines;
}
