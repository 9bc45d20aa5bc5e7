import { readSql } from './sql.ts';

/** A gold granularity: its table, bucket width and advisory-lock number. */
export type Granularity = '10m' | '1h';

export const GRANULARITIES: readonly Granularity[] = ['10m', '1h'];

export interface GranularitySpec {
  table: string;
  /** The bucket width as a PostgreSQL interval literal. */
  width: string;
  widthMs: number;
  /** Second key of the run's advisory lock (the first is the rollup's). */
  lockId: number;
}

export const GRANULARITY: Readonly<Record<Granularity, GranularitySpec>> = {
  '10m': { table: 'gold.prices_10m', width: '10 minutes', widthMs: 600_000, lockId: 10 },
  '1h': { table: 'gold.prices_1h', width: '1 hour', widthMs: 3_600_000, lockId: 60 },
};

export type RollupQuery =
  | 'rollup_settings'
  | 'rollup_lock'
  | 'rollup_state'
  | 'rollup_horizon'
  | 'rollup_work_tables'
  | 'rollup_touched'
  | 'rollup_aggregate_touched'
  | 'rollup_aggregate_range'
  | 'rollup_delete_stale'
  | 'rollup_upsert'
  | 'rollup_changes'
  | 'rollup_changes_range'
  | 'rollup_save_state';

/**
 * The text of `sql/queries/<name>.sql` for one granularity. The files name the
 * table and bucket width as psql variables (`:gold_table`, `:'bucket_width'`),
 * so each can be pasted into psql after two `\set`s; here they are replaced by
 * the granularity's fixed values, never by user input.
 */
export function rollupSql(name: RollupQuery, granularity: Granularity): string {
  const spec = GRANULARITY[granularity];
  const text = readSql(`queries/${name}.sql`)
    .replaceAll(':gold_table', spec.table)
    .replaceAll(":'bucket_width'", `'${spec.width}'`);
  const left = /(?<![:\w]):'?[a-z_]+/i.exec(stripComments(text));
  if (left) throw new Error(`queries/${name}.sql: unknown psql variable ${left[0]}`);
  return text;
}

function stripComments(text: string): string {
  return text.replace(/--.*$/gm, '');
}
