/** What the pipeline did with one phase's events, read from silver.prices. */
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import type { ConsumerName } from '../lambdas/shared/silver-store.ts';
import { round } from './stats.ts';

const PHASE_SQL = readFileSync(new URL('./sql/phase.sql', import.meta.url), 'utf8');
const WRITTEN_SQL = readFileSync(new URL('./sql/written.sql', import.meta.url), 'utf8');

export const CONSUMERS = ['realtime', 'batch'] as const satisfies readonly ConsumerName[];

export interface TradeIds {
  first: number;
  last: number;
}

export interface ConsumerPhase {
  records: number;
  /** Rows written by the phase's end plus the latency the consumer is allowed. */
  byDeadline: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number } | null;
  /** Medians of the latency's parts: producer→Kinesis, Kinesis→handler (polling, batching), the write. */
  partsP50Ms: { put: number; wait: number; write: number } | null;
  firstWrite: Date | null;
  lastWrite: Date | null;
}

interface PhaseRow {
  consumer: ConsumerName;
  records: number;
  by_deadline: number;
  latency_ms: number[];
  max_ms: number;
  put_p50_ms: number;
  wait_p50_ms: number;
  write_p50_ms: number;
  first_write: Date;
  last_write: Date;
}

export async function phaseStats(
  db: Pick<pg.Pool, 'query'>,
  ids: TradeIds,
  deadlines: Record<ConsumerName, Date>,
): Promise<Record<ConsumerName, ConsumerPhase>> {
  const { rows } = await db.query<PhaseRow>(PHASE_SQL, [
    ids.first,
    ids.last,
    deadlines.realtime,
    deadlines.batch,
  ]);
  const result = {} as Record<ConsumerName, ConsumerPhase>;
  for (const consumer of CONSUMERS) {
    const row = rows.find((r) => r.consumer === consumer);
    const [p50 = 0, p95 = 0, p99 = 0] = row?.latency_ms ?? [];
    result[consumer] = row
      ? {
          records: row.records,
          byDeadline: row.by_deadline,
          latencyMs: { p50: round(p50), p95: round(p95), p99: round(p99), max: round(row.max_ms) },
          partsP50Ms: {
            put: round(row.put_p50_ms),
            wait: round(row.wait_p50_ms),
            write: round(row.write_p50_ms),
          },
          firstWrite: row.first_write,
          lastWrite: row.last_write,
        }
      : {
          records: 0,
          byDeadline: 0,
          latencyMs: null,
          partsP50Ms: null,
          firstWrite: null,
          lastWrite: null,
        };
  }
  return result;
}

/** Waits until each consumer has written `expected` rows of the trade ids, or the time is up. */
export async function waitForRows(
  db: Pick<pg.Pool, 'query'>,
  ids: TradeIds,
  expected: number,
  timeoutMs: number,
  consumers: readonly ConsumerName[] = CONSUMERS,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query<{ consumer: ConsumerName; n: number }>(WRITTEN_SQL, [
      ids.first,
      ids.last,
    ]);
    const done = consumers.every(
      (consumer) => (rows.find((r) => r.consumer === consumer)?.n ?? 0) >= expected,
    );
    if (done) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
