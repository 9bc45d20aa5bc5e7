/**
 * The local dashboard's alarm states, on a real PostgreSQL: metric points as
 * the collector stores them and silver rows as the consumers write them,
 * evaluated with the definition's thresholds at a fixed time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlarmState, alarmStates } from '../../local/dashboard/alarm-states.ts';
import { LOCAL_NAMESPACE } from '../../local/dashboard/collector.ts';
import {
  ensureMetricStore,
  insertMetricPoints,
  type StoredPoint,
} from '../../local/dashboard/metric-store.ts';
import { migratedDatabase } from '../support/migrated-db.ts';

const NS = 'Pricestream';
// The evaluation time, a minute into a 10-minute period, computed from now (no fixed date).
const AT = new Date(Math.floor(Date.now() / 600_000) * 600_000 + 60_000);
const ago = (seconds: number) => new Date(AT.getTime() - seconds * 1000);

let pool: Awaited<ReturnType<typeof migratedDatabase>>['pool'];
let states: Map<string, AlarmState>;

const point = (
  metric: string,
  value: number,
  at: Date,
  dimensions: Record<string, string>,
  namespace = NS,
): StoredPoint => ({
  time: at,
  namespace,
  metric,
  unit: 'Count',
  value,
  dimensions,
  function: undefined,
});

beforeAll(async () => {
  ({ pool } = await migratedDatabase('alarms'));
  await ensureMetricStore(pool);
  await insertMetricPoints(pool, [
    // realtime wrote rows in this period; batch wrote nothing at all.
    point('RecordsWritten', 5, ago(30), { service: 'realtime-consumer', consumer: 'realtime' }),
    // 8 of 10 fetches failed in each of the last two 5-minute periods (80 % > 50 %).
    ...[10, 310].flatMap((s) => [
      point('FetchesAttempted', 10, ago(s), { service: 'fetch-prices' }),
      point('FetchesFailed', 8, ago(s), { service: 'fetch-prices' }),
    ]),
    // one rollup error, counted by the local Lambda host.
    point('Errors', 1, ago(20), { service: 'rollup' }, LOCAL_NAMESPACE),
    // a rollup run that did not fail.
    point('RollupFailures', 0, ago(20), { service: 'rollup', granularity: '10m' }),
  ]);
  // The per-record consumer received records 90 s after Kinesis got them, in each of the last 5 minutes.
  for (const s of [10, 70, 130, 190, 250]) {
    await pool.query(
      `INSERT INTO silver.prices (consumer, event_id, symbol, base, quote, source, price,
         event_time, fetched_at, ingested_at, received_at, shard_id, sequence_number)
       VALUES ('realtime', $1, 'BTC-USD', 'BTC', 'USD', 'sim', 1, $2, $2, $2, $3, 'shardId-0', $1)`,
      [`e${s}`, ago(s + 90), ago(s)],
    );
  }
  states = new Map((await alarmStates(pool, NS, AT)).map((s) => [s.id, s]));
});

afterAll(async () => {
  await pool?.end();
});

describe('local alarm states', () => {
  it('stays quiet before the pipeline has run: no data at all, right after a deploy, fires nothing', async () => {
    const { pool: fresh } = await migratedDatabase('alarms_fresh');
    try {
      await ensureMetricStore(fresh);
      const quiet = await alarmStates(fresh, NS, AT);

      expect(quiet.filter((s) => s.state === 'ALARM').map((s) => s.id)).toEqual([]);
      // The "no rows" condition alone breaches (missing data); what arms it has not happened.
      expect(quiet.find((s) => s.id === 'no-rows-batch')).toMatchObject({
        value: null,
        state: 'OK',
      });
    } finally {
      await fresh.end();
    }
  });

  it('fires "no rows" for a consumer with no data at all (missing data breaches) once fetch-prices has run, not for one that wrote', () => {
    expect(states.get('no-rows-batch')).toMatchObject({ state: 'ALARM', value: null });
    expect(states.get('no-rows-realtime')).toMatchObject({
      state: 'OK',
      value: 5,
      threshold: '< 1 count',
    });
  });

  it('fires the fetch failure ratio from the totals, as the CloudWatch expression computes it', () => {
    expect(states.get('fetch-failure-ratio')).toMatchObject({
      state: 'ALARM',
      value: 80,
      periods: [80, 80],
    });
  });

  it('fires the iterator age alarm when every one of its 5 periods is behind, from silver.prices', () => {
    expect(states.get('iterator-age-realtime')).toMatchObject({
      state: 'ALARM',
      value: 90_000,
      threshold: '> 60000 ms',
    });
    expect(states.get('iterator-age-batch')).toMatchObject({ state: 'OK', value: null });
  });

  it('fires errors from the local host’s counts, and stays OK where nothing failed or nothing ran', () => {
    expect(states.get('errors-rollup')).toMatchObject({ state: 'ALARM', value: 1 });
    expect(states.get('errors-fetch-prices')).toMatchObject({ state: 'OK', value: null });
    expect(states.get('rollup-failures-10m')).toMatchObject({ state: 'OK', value: 0 });
    expect(states.get('dead-letters-realtime')).toMatchObject({ state: 'OK' });
  });
});
