/**
 * The migrate function's real handler against a real PostgreSQL that comes
 * up late: the test PostgreSQL behind a relay that refuses connections until
 * 20 s into the run. The backoff's clock is driven: each wait the handler asks
 * for advances the clock at once, and the relay opens when the clock passes
 * 20 s, so the run takes the time of its connection attempts, not 20 s.
 */
import type { CloudFormationCustomResourceCreateEvent } from 'aws-lambda';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createHandler, MIGRATE_RESERVE_MS } from '../../lambdas/migrate/index.ts';
import { freshDatabase } from '../support/db.ts';
import { lateRelay } from '../support/late-relay.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const create = { RequestType: 'Create' } as CloudFormationCustomResourceCreateEvent;
const FUNCTION_TIMEOUT_MS = 600_000;

/** A clock that moves only when the handler sleeps; `onSleep` sees each wait and the new time. */
function drivenClock(onSleep: (ms: number, now: number) => Promise<void>) {
  let now = Date.parse('2026-12-01T00:00:00Z');
  const start = now;
  const waits: number[] = [];
  return {
    clock: () => now,
    elapsed: () => now - start,
    waits,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
      await onSleep(ms, now - start);
    },
    /** The function's remaining time, on this clock. */
    context: { getRemainingTimeInMillis: () => FUNCTION_TIMEOUT_MS - (now - start) },
  };
}

describe('migrate waits for the database', () => {
  it('applies the migrations to a PostgreSQL that comes up 20 s late, after bounded backoff', async () => {
    const { url, pool } = await freshDatabase('late_migrate');
    cleanups.push(() => pool.end());
    const relay = await lateRelay(new URL(url));
    cleanups.push(() => relay.close());
    const time = drivenClock(async (_ms, elapsed) => {
      if (elapsed >= 20_000 && !relay.opened) await relay.open();
    });
    const handler = createHandler({
      setting: () => ({ kind: 'url', url: relay.url(), ssl: { mode: 'disable' } }),
      clock: time.clock,
      sleep: time.sleep,
    });

    const result = await handler(create, time.context);

    expect(result).toMatchObject({ PhysicalResourceId: 'pricestream-migrations' });
    // 1 + 2 + 4 + 8 s refused, then 15 s (the cap) brings it to 30 s, past the 20 s.
    expect(time.waits).toEqual([1_000, 2_000, 4_000, 8_000, 15_000]);
    const { rows } = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM public.schema_migrations',
    );
    expect(rows[0]?.n).toBeGreaterThan(0);
  });

  it('gives up with the last error when the database never comes, leaving the migrations their time', async () => {
    const relay = await lateRelay(new URL(inject('databaseUrl'))); // never opened
    cleanups.push(() => relay.close());
    const time = drivenClock(async () => {});
    const handler = createHandler({
      setting: () => ({ kind: 'url', url: relay.url(), ssl: { mode: 'disable' } }),
      clock: time.clock,
      sleep: time.sleep,
    });

    await expect(handler(create, time.context)).rejects.toThrow(
      /^PostgreSQL did not accept a connection in \d+ s \(\d+ attempts, the time this run has\): .*ECONNREFUSED/,
    );
    expect(time.elapsed()).toBeLessThanOrEqual(FUNCTION_TIMEOUT_MS - MIGRATE_RESERVE_MS);
    expect(time.elapsed()).toBeGreaterThan(FUNCTION_TIMEOUT_MS - MIGRATE_RESERVE_MS - 15_000);
    expect(Math.max(...time.waits)).toBe(15_000);
  });
});
