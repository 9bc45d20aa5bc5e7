import type { Format, Unit } from '../../cdk/dashboard/definition.ts';
import { formatUtc } from '../shared/time-format.ts';

/**
 * The local dashboard's value formats (local/dashboard/public/app.js), for
 * HTML made on the server: the same numbers read the same on both pages.
 * Locale fixed to en-US, times in UTC.
 */

const numberFormat = (digits: number) =>
  new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });

export function formatPrice(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1000) return numberFormat(2).format(value);
  if (abs >= 1) return numberFormat(4).format(value);
  return value.toPrecision(4);
}

export function formatMs(value: number): string {
  if (Math.abs(value) >= 10_000) return `${numberFormat(1).format(value / 1000)} s`;
  if (Math.abs(value) >= 100) return `${numberFormat(0).format(value)} ms`;
  return `${numberFormat(1).format(value)} ms`;
}

export function formatSeconds(value: number): string {
  if (value >= 3600) return `${numberFormat(1).format(value / 3600)} h`;
  if (value >= 120) return `${numberFormat(1).format(value / 60)} min`;
  return `${numberFormat(1).format(value)} s`;
}

export function formatValue(value: unknown, kind: Format): string {
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
      return Number.isNaN(d.getTime()) ? String(value) : formatUtc(d, 'minute');
    }
    default:
      return String(value);
  }
}

const UNIT_FORMAT: Record<Unit, Format> = {
  ms: 'ms',
  s: 's',
  count: 'number',
  USD: 'price',
  '%': 'pct',
};

export function formatUnit(value: number | null, unit: Unit): string {
  if (value === null) return '–';
  if (unit === 'count') return numberFormat(Math.abs(value) < 10 ? 2 : 0).format(value);
  return formatValue(value, UNIT_FORMAT[unit]);
}

/** Axis tick labels: short. */
export function axisValue(value: number, unit: Unit): string {
  if (unit === 'ms') {
    return Math.abs(value) >= 1000 ? `${numberFormat(1).format(value / 1000)}s` : `${value}ms`;
  }
  if (unit === '%') return `${numberFormat(2).format(value)}%`;
  if (unit === 'USD') return formatPrice(value);
  return numberFormat(2).format(value);
}
