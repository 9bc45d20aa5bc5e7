import type pg from 'pg';

/**
 * Runs `work` on one connection inside one read-only, repeatable-read
 * transaction: every figure of a report comes from the same snapshot while the
 * pipeline keeps writing, and no statement can write, whatever the user.
 */
export async function inReadOnlySnapshot<T>(
  pool: Pick<pg.Pool, 'connect'>,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let done = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const value = await work(client);
    await client.query('COMMIT');
    done = true;
    return value;
  } finally {
    if (!done) await client.query('ROLLBACK').catch(() => {});
    // A connection whose transaction failed is not reused.
    client.release(!done);
  }
}
