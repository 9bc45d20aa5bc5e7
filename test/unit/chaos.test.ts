import { describe, expect, it } from 'vitest';
import { parsePriceEvent, ValidationError } from '../../lambdas/shared/price-event.ts';
import { compareCounts, drained, type StreamContents } from '../../scripts/chaos/count.ts';
import { parseChaosArgs, UsageError } from '../../scripts/chaos/options.ts';
import { planFaults } from '../../scripts/chaos/plan.ts';
import { CHAOS_PREFIX, chaosRecord, POISON_MARK } from '../../scripts/chaos/producer.ts';

describe('chaos options', () => {
  it('has a full default run and a quick one', () => {
    expect(parseChaosArgs([], {})).toMatchObject({
      events: 100_000,
      poison: 1_000,
      runtimeKills: 20,
      postgresCrashes: 5,
      kinesisRestarts: 3,
      reshards: 2,
      quick: false,
    });
    expect(parseChaosArgs(['--quick', '--json'], {})).toMatchObject({
      events: 2_000,
      poison: 20,
      quick: true,
      json: true,
    });
    expect(parseChaosArgs(['--events', '5000', '--seed=7'], {})).toMatchObject({
      events: 5_000,
      poison: 50,
      seed: 7,
    });
  });

  it('refuses bad arguments and ports with one line', () => {
    expect(() => parseChaosArgs(['--events', '5'], {})).toThrow(
      new UsageError('--events must be a whole number from 100 to 10000000, got 5'),
    );
    expect(() => parseChaosArgs(['--now'], {})).toThrow(new UsageError('unknown option --now'));
    expect(() => parseChaosArgs([], { PRICESTREAM_CHAOS_PG_PORT: 'x' })).toThrow(
      /PRICESTREAM_CHAOS_PG_PORT must be a port number/,
    );
  });
});

describe('the fault plan', () => {
  const options = parseChaosArgs([], {});

  it('schedules every fault of the run inside the production window, in time order', () => {
    const plan = planFaults(options, 1_000);
    const count = (kind: string) => plan.filter((f) => f.kind === kind).length;

    expect(count('runtime-kill')).toBe(20);
    expect(count('postgres-crash')).toBe(5);
    expect(count('kinesis-restart')).toBe(3);
    expect(plan.filter((f) => f.kind.startsWith('reshard')).map((f) => f.kind)).toEqual([
      'reshard-up',
      'reshard-down',
    ]);
    expect(plan.map((f) => f.at)).toEqual([...plan.map((f) => f.at)].sort((a, b) => a - b));
    for (const fault of plan) {
      expect(fault.at).toBeGreaterThanOrEqual(50);
      expect(fault.at).toBeLessThanOrEqual(900);
    }
    // Restarts in the first half; storms in the second.
    for (const f of plan.filter((f) => f.kind === 'kinesis-restart'))
      expect(f.at).toBeLessThan(500);
    for (const f of plan.filter((f) => f.kind === 'function-storm'))
      expect(f.at).toBeGreaterThan(550);
  });

  it('is the same for the same seed, and another for another', () => {
    expect(planFaults(options, 1_000)).toEqual(planFaults(options, 1_000));
    expect(planFaults({ ...options, seed: 2 }, 1_000)).not.toEqual(planFaults(options, 1_000));
  });
});

describe('chaos records', () => {
  const random = () => 0.5;

  it('numbers valid events, which the pipeline accepts, and marks poison, which it rejects', () => {
    const valid = chaosRecord(3, 10, random);
    const poison = [9, 19, 29].map((n) => chaosRecord(n, 10, random));

    expect(valid.valid).toBe(`${CHAOS_PREFIX}3`);
    expect(parsePriceEvent(valid.data).eventId).toBe(`${CHAOS_PREFIX}3`);
    for (const record of poison) {
      expect(record.data.toString()).toContain(`${POISON_MARK}${record.poison}`);
      expect(() => parsePriceEvent(record.data)).toThrow(ValidationError);
    }
  });
});

describe('chaos counting', () => {
  const stream: StreamContents = {
    valid: new Set([`${CHAOS_PREFIX}1`, `${CHAOS_PREFIX}2`]),
    poison: new Map([
      [5, 1],
      [6, 2],
    ]),
    records: 5,
  };
  const produced = {
    valid: new Set([`${CHAOS_PREFIX}1`, `${CHAOS_PREFIX}2`, `${CHAOS_PREFIX}3`]),
    poison: new Set([5, 6]),
  };
  const counts = (stored: string[], rejected: Array<[number, number]>, rows = stored.length) => ({
    storedIds: new Set(stored),
    rows,
    rejected: new Map(rejected),
    deadLetters: 1,
    deadLetteredRecords: 2,
    redriven: 1,
    redrivenRecords: 2,
  });

  it('tells the pipeline losing an event from the emulator losing it', () => {
    const report = compareCounts(
      'batch',
      produced,
      stream,
      counts(
        [`${CHAOS_PREFIX}1`],
        [
          [5, 1],
          [6, 2],
        ],
      ),
      3.5,
    );

    expect(report).toMatchObject({
      produced: 3,
      droppedByEmulator: 1, // 3 was acknowledged, then not on the stream
      stored: 1,
      lost: 1, // 2 is on the stream and not stored
      duplicated: 0,
      poisonMiscounted: 0,
      drainSeconds: 3.5,
    });
  });

  it('does not hold against a consumer what it handled before kinesis-local lost it', () => {
    // 3 and poison 7 were consumed, then kinesis-local lost them (killed before it saved).
    const report = compareCounts(
      'realtime',
      { valid: produced.valid, poison: new Set([5, 6, 7]) },
      stream,
      counts(
        [`${CHAOS_PREFIX}1`, `${CHAOS_PREFIX}2`, `${CHAOS_PREFIX}3`],
        [
          [5, 1],
          [6, 2],
          [7, 1],
        ],
      ),
      2,
    );

    expect(report).toMatchObject({
      produced: 3,
      droppedByEmulator: 0,
      stored: 3,
      lost: 0,
      duplicated: 0,
      poisonProduced: 3,
      poisonMiscounted: 0,
    });
    expect(report.stored + report.droppedByEmulator).toBe(report.produced);
  });

  it('counts a poison record rejected other than as often as the stream holds it, and rows stored twice', () => {
    const report = compareCounts(
      'realtime',
      produced,
      stream,
      counts(
        [`${CHAOS_PREFIX}1`, `${CHAOS_PREFIX}2`],
        [
          [5, 2],
          [6, 2],
        ],
        3,
      ),
      null,
    );

    expect(report).toMatchObject({ lost: 0, duplicated: 1, poisonMiscounted: 1 });
  });

  it('calls a consumer drained when it has every event and every poison rejection the stream holds', () => {
    expect(
      drained(
        stream,
        counts(
          [`${CHAOS_PREFIX}1`, `${CHAOS_PREFIX}2`],
          [
            [5, 1],
            [6, 2],
          ],
        ),
      ),
    ).toBe(true);
    expect(
      drained(
        stream,
        counts(
          [`${CHAOS_PREFIX}1`],
          [
            [5, 1],
            [6, 2],
          ],
        ),
      ),
    ).toBe(false);
    expect(
      drained(
        stream,
        counts(
          [`${CHAOS_PREFIX}1`, `${CHAOS_PREFIX}2`],
          [
            [5, 1],
            [6, 1],
          ],
        ),
      ),
    ).toBe(false);
  });
});
