/**
 * EventBridge schedule expressions, read as AWS reads them: `rate(value
 * unit)` and `cron(minutes hours day-of-month month day-of-week year)`, in UTC.
 * The stack's configuration validates with it at synth, and the local
 * runtime's scheduler fires rules by it.
 *
 * Cron evaluation is croner's (a maintained cron library with L, W, #, years
 * and Quartz day numbering); this file holds what is EventBridge's own: the six
 * fields and which wildcards each takes, day-of-week 1-7 = SUN-SAT, one of the
 * two day fields `?`, `#` alone in its field, years 1970-2199, `0/15` steps
 * and ranges that wrap (`20-2`), and rate()'s singular and plural units.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html
 */
import { Cron } from 'croner';

export class ScheduleExpressionError extends Error {
  override name = 'ScheduleExpressionError';
}

export interface RateSchedule {
  kind: 'rate';
  expression: string;
  value: number;
  unit: 'minute' | 'hour' | 'day';
  periodMs: number;
}

export interface CronSchedule {
  kind: 'cron';
  expression: string;
  /** The next firing strictly after `afterMs` (a whole minute, UTC), or undefined when there is none. */
  nextAfter(afterMs: number): number | undefined;
}

export type ScheduleExpression = RateSchedule | CronSchedule;

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** Parses a schedule expression; a malformed one throws a ScheduleExpressionError in one line. */
export function parseScheduleExpression(text: string): ScheduleExpression {
  const expression = text.trim();
  if (/^rate\(/i.test(expression)) return parseRate(expression);
  if (/^cron\(/i.test(expression)) return parseCron(expression);
  throw new ScheduleExpressionError(
    `${JSON.stringify(text)} is not a rate(...) or cron(...) expression, e.g. rate(5 minutes) or cron(0 12 * * ? *)`,
  );
}

function parseRate(expression: string): RateSchedule {
  const match = /^rate\(\s*(\S+)\s+(\S+)\s*\)$/.exec(expression);
  const fail = (why: string) =>
    new ScheduleExpressionError(`${JSON.stringify(expression)}: ${why}`);
  if (!match) throw fail('a rate takes a value and a unit, e.g. rate(5 minutes)');
  const [, rawValue = '', rawUnit = ''] = match;
  if (!/^[1-9]\d*$/.test(rawValue))
    throw fail(`the value must be a positive whole number, got ${rawValue}`);
  const value = Number(rawValue);
  const singular = rawUnit.replace(/s$/, '');
  if (singular !== 'minute' && singular !== 'hour' && singular !== 'day') {
    throw fail(`the unit must be minute(s), hour(s) or day(s), got ${rawUnit}`);
  }
  // EventBridge refuses rate(1 hours) and rate(5 hour).
  const wanted = value === 1 ? singular : `${singular}s`;
  if (rawUnit !== wanted)
    throw fail(`with the value ${value} the unit is ${wanted}, not ${rawUnit}`);
  return { kind: 'rate', expression, value, unit: singular, periodMs: value * UNIT_MS[singular] };
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  /** Characters beyond digits, `,` and `-`. */
  wildcards: string;
  names?: readonly string[];
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

// The wildcards of each field as AWS's table lists them (day-of-week also
// takes `/`, as Quartz, on which EventBridge's cron is modelled, does).
const FIELDS: readonly FieldSpec[] = [
  { name: 'minutes', min: 0, max: 59, wildcards: '*/' },
  { name: 'hours', min: 0, max: 23, wildcards: '*/' },
  { name: 'day-of-month', min: 1, max: 31, wildcards: '*?/LW' },
  { name: 'month', min: 1, max: 12, wildcards: '*/', names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, wildcards: '*?/L#', names: DAYS },
  { name: 'year', min: 1970, max: 2199, wildcards: '*/' },
];

function parseCron(expression: string): CronSchedule {
  const match = /^cron\((.*)\)$/s.exec(expression);
  const fail = (why: string) =>
    new ScheduleExpressionError(`${JSON.stringify(expression)}: ${why}`);
  const fields = (match?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 6) {
    throw fail(
      `cron() takes 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`,
    );
  }
  const upper = fields.map((field) => field.toUpperCase());
  const [dom = '', dow = ''] = [upper[2], upper[4]];
  if ((dom === '?') === (dow === '?')) {
    throw fail(
      `exactly one of day-of-month and day-of-week must be ? (got ${fields[2]} and ${fields[4]})`,
    );
  }
  const translated = upper.map((field, i) => translateField(field, FIELDS[i] as FieldSpec, fail));
  const pattern = `0 ${translated.join(' ')}`;
  let cron: Cron;
  try {
    cron = new Cron(pattern, {
      timezone: 'UTC',
      mode: '7-part',
      // Day-of-week 1-7 = SUN-SAT, as in EventBridge (and Quartz).
      alternativeWeekdays: true,
      // One of the day fields is always ?, so AND is what EventBridge means.
      domAndDow: true,
    });
  } catch (error) {
    throw fail((error as Error).message.replace(/^CronPattern: /, ''));
  }
  return {
    kind: 'cron',
    expression,
    nextAfter: (afterMs) => cron.nextRun(new Date(afterMs))?.getTime() ?? undefined,
  };
}

/** One field in croner's syntax, after the checks croner does not make. */
function translateField(field: string, spec: FieldSpec, fail: (why: string) => Error): string {
  const allowed = new RegExp(`^[0-9A-Z,\\-${spec.wildcards.replace(/[*?/]/g, '\\$&')}]+$`);
  if (!allowed.test(field)) {
    throw fail(
      `${spec.name} takes digits${spec.names ? ', names' : ''} and , - ${spec.wildcards.split('').join(' ')}; got ${field}`,
    );
  }
  if (field === '?') return '*';
  if (spec.name === 'day-of-month') {
    if (field === 'L' || field === 'LW') return field;
    const weekday = /^(\d+)W$/.exec(field);
    if (weekday) return `${number(weekday[1] ?? '', spec, fail)}W`;
    if (/[LW]/.test(field)) {
      throw fail(`day-of-month takes L, LW or nW (the weekday nearest day n) alone; got ${field}`);
    }
  }
  if (spec.name === 'day-of-week') {
    // L alone is the last day of the week (Saturday); nL the month's last day n.
    if (field === 'L') return '7';
    const last = /^(\w+)L$/.exec(field);
    if (last) return `${value(last[1] ?? '', spec, fail)}#L`;
    const nth = /^(\w+)#(\d+)$/.exec(field);
    if (nth) {
      const instance = Number(nth[2]);
      if (instance < 1 || instance > 5) {
        throw fail(`in day-of-week ${field}, the instance after # must be 1-5`);
      }
      return `${value(nth[1] ?? '', spec, fail)}#${instance}`;
    }
    if (/[L#]/.test(field)) {
      throw fail(`day-of-week takes L, nL or n#k alone in its field; got ${field}`);
    }
  }
  return field
    .split(',')
    .map((part) => translatePart(part, spec, fail))
    .join(',');
}

/** `*`, `n`, `a-b`, `*\/s`, `n/s`, `a-b/s`: numbers and names checked, wrapping ranges spelled out. */
function translatePart(part: string, spec: FieldSpec, fail: (why: string) => Error): string {
  const [range = '', stepText, extra] = part.split('/');
  if (extra !== undefined || range === '') throw fail(`${spec.name}: cannot read ${part}`);
  let step: number | undefined;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
      throw fail(`${spec.name}: the step in ${part} must be a positive number`);
    }
    step = Number(stepText);
  }
  if (range === '*') return step === undefined ? '*' : `*/${step}`;
  const [fromText = '', toText, more] = range.split('-');
  if (more !== undefined) throw fail(`${spec.name}: cannot read ${part}`);
  const from = value(fromText, spec, fail);
  // `0/15`: from 0 to the end of the field, every 15 (croner wants a range).
  const to =
    toText === undefined ? (step === undefined ? from : spec.max) : value(toText, spec, fail);
  if (from <= to) {
    if (step === undefined) return from === to ? String(from) : `${from}-${to}`;
    return `${from}-${to}/${step}`;
  }
  // A range that wraps (hours 20-2: 20-23 then 0-2), as in AWS's own examples.
  if (spec.name === 'year') throw fail(`year: the range ${part} runs backwards`);
  const values: number[] = [];
  for (let v = from; v <= spec.max; v++) values.push(v);
  for (let v = spec.min; v <= to; v++) values.push(v);
  return values.filter((_, i) => i % (step ?? 1) === 0).join(',');
}

function value(text: string, spec: FieldSpec, fail: (why: string) => Error): number {
  const named = spec.names?.indexOf(text) ?? -1;
  if (named >= 0) return named + 1;
  return number(text, spec, fail);
}

function number(text: string, spec: FieldSpec, fail: (why: string) => Error): number {
  if (!/^\d+$/.test(text)) {
    throw fail(
      `${spec.name}: ${text} is not a number${spec.names ? ` or a name (${spec.names[0]}-${spec.names.at(-1)})` : ''}`,
    );
  }
  const n = Number(text);
  if (n < spec.min || n > spec.max) {
    throw fail(`${spec.name} ${n} is out of range ${spec.min}-${spec.max}`);
  }
  return n;
}

/** The next `count` firings after `afterMs` (a rate's from its start, `afterMs`). */
export function nextFirings(
  schedule: ScheduleExpression,
  afterMs: number,
  count: number,
): number[] {
  const times: number[] = [];
  let at = afterMs;
  for (let i = 0; i < count; i++) {
    const next = schedule.kind === 'rate' ? at + schedule.periodMs : schedule.nextAfter(at);
    if (next === undefined) break;
    times.push(next);
    at = next;
  }
  return times;
}

/** A fixed instant to sample cron firings from, so a synth never depends on the day it runs. */
const SAMPLE_FROM = Date.UTC(2026, 0, 1);
const SAMPLE_SIZE = 400;

/**
 * The shortest time between two firings: a rate's period; for a cron, the
 * least gap between its first firings from 2026 on (undefined when it fires
 * fewer than twice from then).
 */
export function shortestGapMs(schedule: ScheduleExpression): number | undefined {
  if (schedule.kind === 'rate') return schedule.periodMs;
  const times = nextFirings(schedule, SAMPLE_FROM, SAMPLE_SIZE);
  let gap: number | undefined;
  for (let i = 1; i < times.length; i++) {
    const d = (times[i] as number) - (times[i - 1] as number);
    if (gap === undefined || d < gap) gap = d;
  }
  return gap;
}
