import { parseArgs } from 'node:util';
import { optionalEnv } from '../lambdas/shared/env.ts';
import {
  GRANULARITIES,
  type Granularity,
  parseGranularity,
  parseSourceConsumer,
  type RollupResult,
} from '../lambdas/shared/rollup.ts';
import type { ConsumerName } from '../lambdas/shared/silver-store.ts';

/**
 * The arguments and output of `npm run rollup` (scripts/rollup.ts), kept apart
 * from the script so they can be tested without a process.
 */

export interface RollupCliOptions {
  granularities: Granularity[];
  from: Date | undefined;
  to: Date | undefined;
  consumer: ConsumerName | undefined;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** ISO 8601 date or date-time; no offset means UTC. */
const ISO_TIME =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

export function parseTime(option: string, value: string): Date {
  const match = ISO_TIME.exec(value.trim());
  if (!match) {
    throw new UsageError(
      `${option} must be an ISO 8601 time like 2026-05-01T12:00:00Z, got ${JSON.stringify(value)}`,
    );
  }
  const [, date, time = '00:00', zone = 'Z'] = match;
  const offset = zone.toUpperCase().replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const parsed = new Date(`${date}T${time}${offset}`);
  // Date also "parses" 2026-02-30 (as March 2); round-tripping the date part catches it.
  if (!Number.isFinite(parsed.getTime()) || !sameCalendarDate(date as string, time, zone, parsed)) {
    throw new UsageError(`${option} is not a valid time: ${JSON.stringify(value)}`);
  }
  return parsed;
}

function sameCalendarDate(date: string, time: string, zone: string, parsed: Date): boolean {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return false;
  const offsetMatch = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  const offsetMs = offsetMatch
    ? (offsetMatch[1] === '-' ? -1 : 1) *
      (Number(offsetMatch[2]) * 3_600_000 + Number(offsetMatch[3]) * 60_000)
    : 0;
  const local = new Date(parsed.getTime() + offsetMs);
  return (
    local.getUTCFullYear() === year &&
    local.getUTCMonth() + 1 === month &&
    local.getUTCDate() === day
  );
}

export function parseRollupArgs(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): RollupCliOptions | 'help' {
  let values: {
    granularity?: string;
    from?: string;
    to?: string;
    consumer?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        granularity: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        consumer: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';

  const granularity = values.granularity ?? 'all';
  let granularities: Granularity[];
  try {
    granularities = granularity === 'all' ? [...GRANULARITIES] : [parseGranularity(granularity)];
  } catch {
    throw new UsageError(
      `--granularity must be 10m, 1h or all, got ${JSON.stringify(values.granularity)}`,
    );
  }
  const from = values.from === undefined ? undefined : parseTime('--from', values.from);
  const to = values.to === undefined ? undefined : parseTime('--to', values.to);
  if (from && to && from.getTime() >= to.getTime()) {
    throw new UsageError(
      `--from (${from.toISOString()}) must be before --to (${to.toISOString()})`,
    );
  }
  const consumerValue = values.consumer ?? optionalEnv('ROLLUP_SOURCE_CONSUMER', env);
  let consumer: ConsumerName | undefined;
  if (consumerValue !== undefined) {
    try {
      consumer = parseSourceConsumer(consumerValue);
    } catch (error) {
      const source = values.consumer === undefined ? 'ROLLUP_SOURCE_CONSUMER' : '--consumer';
      throw new UsageError(`${source}: ${(error as Error).message}`);
    }
  }
  return { granularities, from, to, consumer };
}

export function renderRollupResult(result: RollupResult): string {
  const where =
    result.mode === 'backfill' && result.range
      ? ` [${result.range.from}, ${result.range.to})`
      : result.highWater
        ? `, high-water mark ${result.highWater.next}`
        : '';
  const unchanged = result.recomputed - result.inserted - result.updated;
  return (
    `${result.granularity.padEnd(3)} ${result.mode} from ${result.sourceConsumer}${where}: ` +
    `${result.recomputed} buckets recomputed, ${result.inserted + result.updated} upserted ` +
    `(${result.inserted} new, ${result.updated} updated, ${unchanged} unchanged), ` +
    `${result.deleted} removed, ${result.changed} change fields updated, ${result.durationMs} ms`
  );
}
