import { beforeEach, describe, expect, it } from 'vitest';
import {
  type GivenUp,
  type InvokeOutcome,
  lowestFailedIndex,
  processLane,
  type RetryPolicy,
} from '../../local/kinesis/batch-retry.ts';
import type { ShardRecord } from '../../local/kinesis/kinesis-event.ts';
import { createDrivenClock, type DrivenClock } from '../../local/shared/driven-clock.ts';

// The lane's clock: every record's age below is measured against it, and
// the backoff between retries waits on it.
const NOW = Date.parse('2026-11-25T17:00:00Z');
let clock: DrivenClock = createDrivenClock(NOW);
beforeEach(() => {
  clock = createDrivenClock(NOW);
});

/** Records that arrived `ageMs` before the clock's now (stamped as kinesis-local would, in system time). */
function records(count: number, ageMs = 0): ShardRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    shardId: 'shardId-000000000000',
    sequenceNumber: String(1000 + i),
    partitionKey: 'k',
    data: Buffer.from(String(i)),
    approximateArrivalTimestamp: new Date(clock.toSystemTime(NOW - ageMs)),
  }));
}

const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({
  maximumRetryAttempts: 3,
  maximumRecordAgeSeconds: -1,
  retentionMs: 24 * 3_600_000,
  bisectBatchOnFunctionError: false,
  reportBatchItemFailures: true,
  // The runtime's default: 500 ms doubling to 10 s, on the driven clock.
  backoff: {},
  ...overrides,
});

/** Runs a lane whose function answers with `respond` and records what happened. */
async function runLane(
  input: ShardRecord[],
  retryPolicy: RetryPolicy,
  respond: (batch: readonly ShardRecord[], call: number) => InvokeOutcome,
) {
  const calls: string[][] = [];
  const checkpoints: string[] = [];
  const givenUp: Array<{ sequences: string[]; why: GivenUp }> = [];
  const started = clock.now();
  await clock.run(() =>
    processLane(input, retryPolicy, {
      invoke: async (batch) => {
        calls.push(batch.map((r) => r.sequenceNumber));
        return respond(batch, calls.length);
      },
      checkpoint: async (record) => {
        checkpoints.push(record.sequenceNumber);
      },
      giveUp: async (batch, why) => {
        givenUp.push({ sequences: batch.map((r) => r.sequenceNumber), why });
      },
      signal: new AbortController().signal,
      clock,
    }),
  );
  return { calls, checkpoints, givenUp, waitedMs: clock.now() - started };
}

const ok: InvokeOutcome = { ok: true, response: null };
const thrown: InvokeOutcome = { ok: false, error: { name: 'Error', message: 'boom' } };
const failing = (sequence: string): InvokeOutcome => ({
  ok: true,
  response: { batchItemFailures: [{ itemIdentifier: sequence }] },
});

describe('processLane', () => {
  it('checkpoints the whole batch on success', async () => {
    const result = await runLane(records(3), policy(), () => ok);

    expect(result.calls).toEqual([['1000', '1001', '1002']]);
    expect(result.checkpoints).toEqual(['1002']);
  });

  it('on a partial batch response checkpoints before the lowest failure and retries from it', async () => {
    const result = await runLane(records(5), policy(), (_batch, call) =>
      call === 1
        ? {
            ok: true,
            response: {
              batchItemFailures: [{ itemIdentifier: '1003' }, { itemIdentifier: '1002' }],
            },
          }
        : ok,
    );

    expect(result.calls).toEqual([
      ['1000', '1001', '1002', '1003', '1004'],
      ['1002', '1003', '1004'],
    ]);
    expect(result.checkpoints).toEqual(['1001', '1004']);
  });

  it('treats an unknown or empty itemIdentifier as a failure of the whole batch', async () => {
    const result = await runLane(records(2), policy(), (_batch, call) =>
      call === 1 ? { ok: true, response: { batchItemFailures: [{ itemIdentifier: '' }] } } : ok,
    );

    expect(result.calls).toEqual([
      ['1000', '1001'],
      ['1000', '1001'],
    ]);
    expect(result.checkpoints).toEqual(['1001']);
  });

  it('ignores batchItemFailures when ReportBatchItemFailures is off', async () => {
    const result = await runLane(records(2), policy({ reportBatchItemFailures: false }), () =>
      failing('1000'),
    );

    expect(result.calls).toHaveLength(1);
    expect(result.checkpoints).toEqual(['1001']);
  });

  it('bisects on function errors down to the failing record, without spending retries', async () => {
    const poison = '1002';
    const result = await runLane(
      records(4),
      policy({ bisectBatchOnFunctionError: true, maximumRetryAttempts: 1 }),
      (batch) => (batch.some((r) => r.sequenceNumber === poison) ? thrown : ok),
    );

    expect(result.calls).toEqual([
      ['1000', '1001', '1002', '1003'],
      ['1000', '1001'],
      ['1002', '1003'],
      ['1002'],
      ['1002'],
      ['1003'],
    ]);
    expect(result.givenUp).toEqual([
      {
        sequences: ['1002'],
        why: {
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 4,
          lastOutcome: thrown,
        },
      },
    ]);
    expect(result.checkpoints).toEqual(['1001', '1002', '1003']);
  });

  it('gives up after MaximumRetryAttempts retries; 0 means no retry', async () => {
    const twice = await runLane(records(2), policy({ maximumRetryAttempts: 2 }), () => thrown);
    const never = await runLane(records(2), policy({ maximumRetryAttempts: 0 }), () => thrown);

    expect(twice.calls).toHaveLength(3);
    expect(twice.givenUp.map((g) => g.sequences)).toEqual([['1000', '1001']]);
    expect(twice.waitedMs).toBe(500 + 1_000);
    expect(never.calls).toHaveLength(1);
    expect(never.waitedMs).toBe(0);
    expect(twice.checkpoints).toEqual(['1001']);
  });

  it('gives up on the rest of a batch whose partial failures outlast the retries', async () => {
    const result = await runLane(records(3), policy({ maximumRetryAttempts: 1 }), () =>
      failing('1001'),
    );

    expect(result.calls).toEqual([
      ['1000', '1001', '1002'],
      ['1001', '1002'],
    ]);
    expect(result.givenUp).toMatchObject([
      {
        sequences: ['1001', '1002'],
        why: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 },
      },
    ]);
    expect(result.checkpoints).toEqual(['1000', '1002']);
  });

  it('sends records older than the maximum age away without invoking', async () => {
    const result = await runLane(
      records(2, 120_000),
      policy({ maximumRecordAgeSeconds: 60 }),
      () => ok,
    );

    expect(result.calls).toEqual([]);
    expect(result.givenUp).toMatchObject([
      {
        sequences: ['1000', '1001'],
        why: { condition: 'RecordAgeExceeded', approximateInvokeCount: 0 },
      },
    ]);
    expect(result.checkpoints).toEqual(['1001']);
  });

  it('without a maximum age, gives up on records older than the stream retention', async () => {
    const hour = 3_600_000;
    const policyWithoutAge = policy({ maximumRecordAgeSeconds: -1, retentionMs: 24 * 3_600_000 });

    const fresh = await runLane(records(1, 23 * hour), policyWithoutAge, () => ok);
    const stale = await runLane(records(1, 25 * hour), policyWithoutAge, () => ok);

    expect(fresh.calls).toEqual([['1000']]);
    expect(stale.calls).toEqual([]);
    expect(stale.givenUp).toMatchObject([{ why: { condition: 'RecordAgeExceeded' } }]);
  });

  it('ages records on its clock while it retries them, and gives them up once too old', async () => {
    const result = await runLane(
      records(2),
      policy({ maximumRetryAttempts: -1, maximumRecordAgeSeconds: 60 }),
      () => thrown,
    );

    // Invoked at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 25.5, 35.5, 45.5 and 55.5 s; too old at 65.5 s.
    expect(result.calls).toHaveLength(10);
    expect(result.givenUp).toMatchObject([
      {
        sequences: ['1000', '1001'],
        why: { condition: 'RecordAgeExceeded', approximateInvokeCount: 10, lastOutcome: thrown },
      },
    ]);
    expect(result.waitedMs).toBe(65_500);
  });

  it('with unlimited retries keeps going until the function succeeds', async () => {
    const result = await runLane(records(1), policy({ maximumRetryAttempts: -1 }), (_b, call) =>
      call < 20 ? thrown : ok,
    );

    expect(result.calls).toHaveLength(20);
    expect(result.givenUp).toEqual([]);
    // 19 waits, doubling from 500 ms to at most 10 s.
    expect(result.waitedMs).toBe(500 + 1_000 + 2_000 + 4_000 + 8_000 + 14 * 10_000);
  });

  it('stops between retries when the signal aborts', async () => {
    const controller = new AbortController();
    const lane = processLane(records(1), policy({ backoff: { initialDelayMs: 10_000 } }), {
      invoke: async () => {
        controller.abort();
        return thrown;
      },
      giveUp: async () => {},
      signal: controller.signal,
      clock,
    });

    await expect(lane).rejects.toMatchObject({ name: 'StoppedError' });
  });
});

describe('lowestFailedIndex', () => {
  const batch = records(3);

  it('reads success from null, {}, and empty or null lists', () => {
    for (const response of [
      null,
      undefined,
      {},
      { batchItemFailures: [] },
      { batchItemFailures: null },
      'ok',
    ]) {
      expect(lowestFailedIndex(response, batch)).toBe('none');
    }
  });

  it('finds the lowest failed record', () => {
    expect(
      lowestFailedIndex(
        { batchItemFailures: [{ itemIdentifier: '1002' }, { itemIdentifier: '1001' }] },
        batch,
      ),
    ).toBe(1);
  });

  it('treats malformed responses as a whole-batch failure', () => {
    for (const response of [
      { batchItemFailures: 'x' },
      { batchItemFailures: [{ itemIdentifier: 'unknown' }] },
      { batchItemFailures: [{ itemIdentifier: null }] },
      { batchItemFailures: [{ id: '1000' }] },
      { batchItemFailures: [null] },
    ]) {
      expect(lowestFailedIndex(response, batch)).toBe('invalid');
    }
  });
});
