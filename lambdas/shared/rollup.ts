import type pg from 'pg';
import { GRANULARITIES, GRANULARITY, type Granularity, rollupSql } from './rollup-sql.ts';
import type { ConsumerName } from './silver-store.ts';

export { GRANULARITIES, type Granularity } from './rollup-sql.ts';

/**
 * The gold rollups: silver.prices of one source consumer into
 * gold.prices_10m / gold.prices_1h, one transaction per run and granularity.
 *
 * - incremental (the schedule): recompute exactly the buckets of the silver
 *   rows processed since the granularity's high-water mark, whatever their
 *   event time, then the change fields they affect; move the mark.
 * - rebuild (first run, or the source consumer changed): every bucket, then
 *   the mark.
 * - backfill (`--from/--to`): every bucket overlapping the range; the mark is
 *   left alone.
 *
 * Runs of one granularity take an advisory lock, so a slow run and the next
 * schedule queue up instead of interleaving; a run that fails rolls back
 * entirely, mark included, and the next one redoes its work.
 */

export const SOURCE_CONSUMERS: readonly ConsumerName[] = ['realtime', 'batch'];

/** A rollup asked for something it cannot do: the caller's mistake, never retried. */
export class RollupRequestError extends Error {
  override name = 'RollupRequestError';
}

export function parseGranularity(value: unknown): Granularity {
  if (typeof value === 'string' && (GRANULARITIES as readonly string[]).includes(value)) {
    return value as Granularity;
  }
  throw new RollupRequestError(
    `granularity must be one of ${GRANULARITIES.join(', ')}, got ${JSON.stringify(value)}`,
  );
}

export function parseSourceConsumer(value: unknown): ConsumerName {
  if (typeof value === 'string' && (SOURCE_CONSUMERS as readonly string[]).includes(value)) {
    return value as ConsumerName;
  }
  throw new RollupRequestError(
    `source consumer must be one of ${SOURCE_CONSUMERS.join(', ')}, got ${JSON.stringify(value)}`,
  );
}

export type RollupMode = 'incremental' | 'rebuild' | 'backfill';

export type RollupStep = 'locked' | 'touched' | 'aggregated' | 'upserted' | 'changed' | 'saved';

export interface RollupOptions {
  granularity: Granularity;
  /** Whose silver rows feed gold. @default the consumer of the previous run, else `realtime` */
  sourceConsumer?: ConsumerName | undefined;
  /**
   * Recompute every bucket overlapping [from, to) (either end open) instead of
   * the incremental run; the high-water mark is left alone. @default incremental
   */
  backfill?: { from?: Date | undefined; to?: Date | undefined } | undefined;
  /** Re-read this much behind the high-water mark every run (see rollup_horizon.sql). @default 60 s */
  overlapMs?: number;
  /** Per statement, ms; 0 for none. @default 0 */
  statementTimeoutMs?: number;
  /** Waiting for a running rollup of the same granularity, ms; 0 for no limit. @default 0 */
  lockTimeoutMs?: number;
  /** Test seam: awaited after each step, inside the run's transaction. */
  onStep?: (step: RollupStep, backendPid: number) => unknown;
}

export interface RollupResult {
  granularity: Granularity;
  mode: RollupMode;
  sourceConsumer: ConsumerName;
  /** Buckets recomputed from silver. */
  recomputed: number;
  /** Gold rows inserted, updated with new values, and removed (rebuild, backfill). */
  inserted: number;
  updated: number;
  deleted: number;
  /** Gold rows whose change fields (previous bucket) changed. */
  changed: number;
  /** The bucket range a rebuild or backfill covered (ISO; open ends as -infinity/infinity). */
  range: { from: string; to: string } | null;
  /** The mark before and after the run; null for a backfill. */
  highWater: { previous: string | null; next: string } | null;
  durationMs: number;
}

/** What a run needs from the database: its own connection, for one transaction. */
export type RollupDb = Pick<pg.Pool, 'connect'>;

export const DEFAULT_OVERLAP_MS = 60_000;

export async function runRollup(db: RollupDb, options: RollupOptions): Promise<RollupResult> {
  const started = performance.now();
  const range = options.backfill ? alignRange(options) : undefined;
  const client = await db.connect();
  // A connection lost mid-run (server gone, backend terminated) is reported to
  // the pending query; this keeps its 'error' event from crashing the process.
  const ignore = () => {};
  client.on('error', ignore);
  let discard: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await inTransaction(client, options, range);
    await client.query('COMMIT');
    return { ...result, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    // A connection that cannot even roll back is broken: the pool must not hand it out again.
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      discard = rollbackError;
    });
    throw error;
  } finally {
    client.removeListener('error', ignore);
    client.release(discard);
  }
}

/** Runs both granularities, one after the other, each in its own transaction. */
export async function runRollups(
  db: RollupDb,
  granularities: readonly Granularity[],
  options: Omit<RollupOptions, 'granularity'> = {},
): Promise<RollupResult[]> {
  const results: RollupResult[] = [];
  for (const granularity of granularities) {
    results.push(await runRollup(db, { ...options, granularity }));
  }
  return results;
}

type Client = pg.PoolClient;
type Range = { from: string; to: string };

async function inTransaction(
  client: Client,
  options: RollupOptions,
  backfill: Range | undefined,
): Promise<Omit<RollupResult, 'durationMs'>> {
  const { granularity } = options;
  const sql = (name: Parameters<typeof rollupSql>[0]) => rollupSql(name, granularity);
  const settings = await client.query<{ pid: number }>(sql('rollup_settings'), [
    String(options.statementTimeoutMs ?? 0),
    String(options.lockTimeoutMs ?? 0),
  ]);
  const pid = settings.rows[0]?.pid ?? 0;
  const step = async (name: RollupStep) => {
    await options.onStep?.(name, pid);
  };

  await client.query(sql('rollup_lock'), [GRANULARITY[granularity].lockId]);
  await step('locked');

  const state = (
    await client.query<{ source_consumer: ConsumerName; high_water: Date }>(sql('rollup_state'), [
      granularity,
    ])
  ).rows[0];
  const sourceConsumer = options.sourceConsumer ?? state?.source_consumer ?? 'realtime';
  const mode: RollupMode = backfill
    ? 'backfill'
    : state === undefined || state.source_consumer !== sourceConsumer
      ? 'rebuild'
      : 'incremental';
  const range = mode === 'rebuild' ? { from: '-infinity', to: 'infinity' } : backfill;
  const previousMark = mode === 'incremental' ? (state?.high_water ?? null) : null;

  // Read before any silver row is: see rollup_horizon.sql.
  let nextMark: Date | undefined;
  if (mode !== 'backfill') {
    const horizon = await client.query<{ high_water: Date }>(sql('rollup_horizon'), [
      previousMark ?? '-infinity',
      `${options.overlapMs ?? DEFAULT_OVERLAP_MS} milliseconds`,
    ]);
    nextMark = horizon.rows[0]?.high_water;
  }

  await client.query(sql('rollup_work_tables'));
  let deleted = 0;
  let recomputed: number;
  if (range === undefined) {
    await client.query(sql('rollup_touched'), [sourceConsumer, previousMark]);
    await client.query('ANALYZE pg_temp.rollup_touched');
    await step('touched');
    recomputed =
      (await client.query(sql('rollup_aggregate_touched'), [sourceConsumer])).rowCount ?? 0;
    await step('aggregated');
  } else {
    recomputed =
      (await client.query(sql('rollup_aggregate_range'), [sourceConsumer, range.from, range.to]))
        .rowCount ?? 0;
    await step('aggregated');
    const stale = await client.query<{ deleted: number }>(sql('rollup_delete_stale'), [
      range.from,
      range.to,
    ]);
    deleted = stale.rows[0]?.deleted ?? 0;
    await client.query('ANALYZE pg_temp.rollup_touched');
    await step('touched');
  }

  const upsert = await client.query<{ inserted: number; updated: number }>(sql('rollup_upsert'));
  const { inserted = 0, updated = 0 } = upsert.rows[0] ?? {};
  await step('upserted');

  const changed =
    (range === undefined
      ? await client.query(sql('rollup_changes'))
      : await client.query(sql('rollup_changes_range'), [range.from, range.to])
    ).rowCount ?? 0;
  await step('changed');

  if (nextMark !== undefined) {
    await client.query(sql('rollup_save_state'), [
      granularity,
      sourceConsumer,
      nextMark,
      recomputed,
      inserted + updated + deleted + changed,
    ]);
    await step('saved');
  }

  return {
    granularity,
    mode,
    sourceConsumer,
    recomputed,
    inserted,
    updated,
    deleted,
    changed,
    range: range ?? null,
    highWater:
      nextMark === undefined
        ? null
        : { previous: previousMark?.toISOString() ?? null, next: nextMark.toISOString() },
  };
}

/**
 * A backfill range widened to whole buckets: every bucket that overlaps
 * [from, to). Buckets are aligned on the Unix epoch in UTC, so flooring the
 * epoch milliseconds by the width is exact.
 */
export function alignRange(options: Pick<RollupOptions, 'granularity' | 'backfill'>): Range {
  const { from, to } = options.backfill ?? {};
  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (value !== undefined && !Number.isFinite(value.getTime())) {
      throw new RollupRequestError(`backfill ${name} is not a valid time`);
    }
  }
  if (from !== undefined && to !== undefined && from.getTime() >= to.getTime()) {
    throw new RollupRequestError(
      `backfill from (${from.toISOString()}) must be before to (${to.toISOString()})`,
    );
  }
  const width = GRANULARITY[options.granularity].widthMs;
  return {
    from:
      from === undefined
        ? '-infinity'
        : new Date(Math.floor(from.getTime() / width) * width).toISOString(),
    to:
      to === undefined
        ? 'infinity'
        : new Date(Math.ceil(to.getTime() / width) * width).toISOString(),
  };
}
