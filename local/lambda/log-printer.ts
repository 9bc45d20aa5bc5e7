/**
 * Turns what the runtime reports into short terminal lines:
 * `HH:MM:SS [function] message key=value…`. Powertools JSON log lines are
 * compacted, EMF metric documents and DEBUG lines hidden; `verbose` prints
 * every line raw instead.
 */
import type {
  FunctionLogLine,
  InvocationReport,
  Notice,
  RuntimeListeners,
} from '../shared/runtime-events.ts';

/** Keys every Powertools log line has: noise in a terminal. */
const STANDARD_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_name',
  'function_memory_size',
  'function_arn',
  'function_request_id',
  'xray_trace_id',
  'sampling_rate',
  'requestId',
  'lambda_request_id',
]);

const HIDDEN_LEVELS = new Set(['DEBUG', 'TRACE']);

export function clock(time: Date): string {
  return time.toTimeString().slice(0, 8);
}

export interface FormattedLine {
  text: string;
  /** The line's `written` count, when it has one (rows a consumer wrote). */
  written: number | undefined;
}

/** One function log line as printed, or undefined when it is not worth showing. */
export function formatFunctionLine(
  entry: FunctionLogLine,
  options: { verbose: boolean },
): FormattedLine | undefined {
  const raw = entry.line.trimEnd();
  if (raw.trim() === '') return undefined;
  const parsed = parseJsonObject(raw);
  const written = typeof parsed?.written === 'number' ? parsed.written : undefined;
  if (options.verbose) {
    return { text: `${clock(entry.time)} [${entry.function}] ${raw}`, written };
  }
  if (!parsed) return { text: `${clock(entry.time)} [${entry.function}] ${raw.trim()}`, written };
  if ('_aws' in parsed) return undefined; // an EMF metrics document
  const level = typeof parsed.level === 'string' ? parsed.level.toUpperCase() : 'INFO';
  if (HIDDEN_LEVELS.has(level)) return undefined;
  const time = typeof parsed.timestamp === 'string' ? new Date(parsed.timestamp) : entry.time;
  const parts = [`${clock(Number.isNaN(time.getTime()) ? entry.time : time)} [${entry.function}]`];
  if (level === 'WARN' || level === 'ERROR' || level === 'CRITICAL') parts.push(level);
  if (parsed.message !== undefined) parts.push(String(parsed.message));
  for (const [key, value] of Object.entries(parsed)) {
    if (STANDARD_KEYS.has(key)) continue;
    parts.push(`${key}=${formatValue(key, value)}`);
  }
  return { text: parts.join(' '), written };
}

function formatValue(key: string, value: unknown): string {
  if (key === 'error' && value !== null && typeof value === 'object') {
    const { name, message } = value as { name?: unknown; message?: unknown };
    return quote(`${String(name ?? 'Error')}: ${String(message ?? '')}`);
  }
  if (typeof value === 'string') return quote(value);
  return JSON.stringify(value) ?? String(value);
}

function quote(text: string): string {
  return /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function formatNotice(notice: Notice): string {
  const level = notice.level === 'info' ? '' : `${notice.level.toUpperCase()} `;
  return `${clock(notice.time)} [${notice.source}] ${level}${notice.message}`;
}

export function formatInvocation(report: InvocationReport, verbose: boolean): string | undefined {
  const time = clock(new Date());
  if (report.error) {
    return `${time} [${report.function}] ERROR invocation ${report.requestId} failed: ${report.error.name}: ${report.error.message}`;
  }
  if (!verbose) return undefined;
  const init =
    report.initDurationMs === undefined
      ? ''
      : ` Init Duration: ${report.initDurationMs.toFixed(2)} ms`;
  return `${time} [${report.function}] REPORT RequestId: ${report.requestId} Duration: ${report.durationMs.toFixed(2)} ms${init}`;
}

/** Listeners that print to `write` (stdout by default), with each function's rows written since start. */
export function createLogPrinter(options: {
  verbose: boolean;
  write?: (text: string) => void;
}): RuntimeListeners {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const totals = new Map<string, number>();
  return {
    log: (entry) => {
      const formatted = formatFunctionLine(entry, options);
      if (!formatted) return;
      let text = formatted.text;
      if (formatted.written !== undefined && !options.verbose) {
        const total = (totals.get(entry.function) ?? 0) + formatted.written;
        totals.set(entry.function, total);
        // This runtime's rows since it started, not the table's (which holds earlier runs' too).
        text += ` (${total} ${total === 1 ? 'row' : 'rows'} since start)`;
      }
      write(`${text}\n`);
    },
    notice: (notice) => write(`${formatNotice(notice)}\n`),
    invocation: (report) => {
      const text = formatInvocation(report, options.verbose);
      if (text) write(`${text}\n`);
    },
  };
}
