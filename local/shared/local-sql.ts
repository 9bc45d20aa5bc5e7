import { readFileSync } from 'node:fs';

const cache = new Map<string, string>();

/** A query from local/sql/, kept as a file you can paste into psql. */
export function localSql(
  name:
    | 'schema'
    | 'load-checkpoints'
    | 'save-checkpoint'
    | 'insert-dead-letter'
    | 'pending-dead-letters'
    | 'record-redrive',
): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`../sql/${name}.sql`, import.meta.url), 'utf8');
    cache.set(name, text);
  }
  return text;
}

export const SCHEMA = 'local_runtime';
export const DEAD_LETTER_TABLE = `${SCHEMA}.dead_letters`;
export const CHECKPOINT_TABLE = `${SCHEMA}.shard_checkpoints`;

type Queryable = { query(text: string, values?: unknown[]): Promise<unknown> };
type Connectable = Queryable & {
  connect(): Promise<Queryable & { release(): void }>;
};

/**
 * Creates the local_runtime schema. Serialized with an advisory lock because
 * concurrent CREATE … IF NOT EXISTS can still collide in PostgreSQL.
 */
export async function ensureLocalSchema(pool: Connectable): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('local_runtime schema'))");
    await client.query(localSql('schema'));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
