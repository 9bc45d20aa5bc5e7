import { describe, expect, it } from 'vitest';
import { readRollupConfig } from '../../lambdas/rollup/config.ts';
import { parseRollupEvent } from '../../lambdas/rollup/index.ts';
import { alignRange, RollupRequestError, type RollupResult } from '../../lambdas/shared/rollup.ts';
import { GRANULARITIES, rollupSql } from '../../lambdas/shared/rollup-sql.ts';
import {
  parseRollupArgs,
  parseTime,
  renderRollupResult,
  UsageError,
} from '../../scripts/rollup-cli.ts';

describe('parseRollupArgs', () => {
  it('defaults to an incremental run of both granularities', () => {
    expect(parseRollupArgs([], {})).toEqual({
      granularities: ['10m', '1h'],
      from: undefined,
      to: undefined,
      consumer: undefined,
    });
  });

  it('takes one granularity, a range and a consumer', () => {
    expect(
      parseRollupArgs(
        ['--granularity', '1h', '--from', '2026-05-01', '--to', '2026-05-01T12:30:00+02:00'],
        { ROLLUP_SOURCE_CONSUMER: 'batch' },
      ),
    ).toEqual({
      granularities: ['1h'],
      from: new Date('2026-05-01T00:00:00Z'),
      to: new Date('2026-05-01T10:30:00Z'),
      consumer: 'batch',
    });
  });

  it('prefers --consumer to ROLLUP_SOURCE_CONSUMER', () => {
    const options = parseRollupArgs(['--consumer', 'realtime'], {
      ROLLUP_SOURCE_CONSUMER: 'batch',
    });

    expect(options).toMatchObject({ consumer: 'realtime' });
  });

  it.each([
    [['--granularity', '5m'], /--granularity must be 10m, 1h or all, got "5m"/],
    [['--granularity'], /argument missing/],
    [['--from', 'last tuesday'], /--from must be an ISO 8601 time/],
    [['--to', '2026-13-01'], /--to is not a valid time/],
    [['--to', '2026-04-31T10:00Z'], /--to is not a valid time/],
    [['--from', '2026-05-01T25:00Z'], /--from is not a valid time/],
    [['--from', '2026-05-02', '--to', '2026-05-01'], /must be before --to/],
    [['--consumer', 'spark'], /--consumer: source consumer must be one of realtime, batch/],
    [['extra'], /Unexpected argument 'extra'/],
  ])('refuses %j', (args, message) => {
    expect(() => parseRollupArgs(args, {})).toThrow(UsageError);
    expect(() => parseRollupArgs(args, {})).toThrow(message);
  });

  it('names ROLLUP_SOURCE_CONSUMER when that is what is wrong', () => {
    expect(() => parseRollupArgs([], { ROLLUP_SOURCE_CONSUMER: 'flink' })).toThrow(
      /^ROLLUP_SOURCE_CONSUMER: source consumer must be one of realtime, batch, got "flink"$/,
    );
  });

  it('answers --help', () => {
    expect(parseRollupArgs(['-h'], {})).toBe('help');
  });
});

describe('parseTime', () => {
  it.each([
    ['2026-05-01', '2026-05-01T00:00:00.000Z'],
    ['2026-05-01T12:00', '2026-05-01T12:00:00.000Z'],
    ['2026-05-01 12:00:30.5', '2026-05-01T12:00:30.500Z'],
    ['2026-05-01T12:00:00Z', '2026-05-01T12:00:00.000Z'],
    ['2026-05-01T00:30:00-0130', '2026-05-01T02:00:00.000Z'],
    ['2026-05-01T00:30:00+05:30', '2026-04-30T19:00:00.000Z'],
  ])('reads %s as %s (UTC unless it has an offset)', (text, iso) => {
    expect(parseTime('--from', text).toISOString()).toBe(iso);
  });
});

describe('alignRange', () => {
  it('widens a backfill to the buckets it overlaps', () => {
    const backfill = {
      from: new Date('2026-05-01T10:05:00Z'),
      to: new Date('2026-05-01T11:00:00.001Z'),
    };

    expect(alignRange({ granularity: '10m', backfill })).toEqual({
      from: '2026-05-01T10:00:00.000Z',
      to: '2026-05-01T11:10:00.000Z',
    });
    expect(alignRange({ granularity: '1h', backfill })).toEqual({
      from: '2026-05-01T10:00:00.000Z',
      to: '2026-05-01T12:00:00.000Z',
    });
  });

  it('keeps aligned ends and leaves open ends open', () => {
    expect(
      alignRange({ granularity: '1h', backfill: { to: new Date('2026-05-01T11:00:00Z') } }),
    ).toEqual({ from: '-infinity', to: '2026-05-01T11:00:00.000Z' });
    expect(alignRange({ granularity: '10m', backfill: {} })).toEqual({
      from: '-infinity',
      to: 'infinity',
    });
  });

  it('refuses an empty, reversed or invalid range', () => {
    const at = new Date('2026-05-01T10:00:00Z');

    expect(() => alignRange({ granularity: '10m', backfill: { from: at, to: at } })).toThrow(
      RollupRequestError,
    );
    expect(() =>
      alignRange({ granularity: '10m', backfill: { from: new Date('nonsense') } }),
    ).toThrow(/backfill from is not a valid time/);
  });
});

describe('parseRollupEvent', () => {
  it('reads the granularity of a schedule Input', () => {
    expect(parseRollupEvent({ granularity: '10m' })).toBe('10m');
    expect(parseRollupEvent({ granularity: '1h', extra: true })).toBe('1h');
  });

  it.each([
    [{ granularity: '1d' }, 'granularity must be one of 10m, 1h, got "1d"'],
    [{ granularity: 10 }, 'granularity must be one of 10m, 1h, got 10'],
    [[], 'rollup event must be an object like {"granularity":"10m"}, got []'],
    [undefined, 'rollup event must be an object like {"granularity":"10m"}, got undefined'],
  ])('refuses %j', (event, message) => {
    expect(() => parseRollupEvent(event)).toThrow(new RollupRequestError(message));
  });
});

describe('readRollupConfig', () => {
  it('reads the source consumer, realtime by default', () => {
    expect(readRollupConfig({})).toEqual({ sourceConsumer: 'realtime' });
    expect(readRollupConfig({ ROLLUP_SOURCE_CONSUMER: 'batch' })).toEqual({
      sourceConsumer: 'batch',
    });
  });

  it('names the variable when it is wrong', () => {
    expect(() => readRollupConfig({ ROLLUP_SOURCE_CONSUMER: 'flink' })).toThrow(
      /ROLLUP_SOURCE_CONSUMER must be one of realtime, batch, got "flink"/,
    );
  });
});

describe('rollupSql', () => {
  it('fills in the table and bucket width of each granularity, and nothing else', () => {
    for (const granularity of GRANULARITIES) {
      const upsert = rollupSql('rollup_upsert', granularity);
      const aggregate = rollupSql('rollup_aggregate_range', granularity);

      expect(upsert).toContain(granularity === '10m' ? 'gold.prices_10m' : 'gold.prices_1h');
      expect(aggregate).toContain(
        `date_bin('${granularity === '10m' ? '10 minutes' : '1 hour'}', p.event_time`,
      );
      expect(upsert).not.toMatch(/:gold_table|:'bucket_width'/);
      expect(aggregate).not.toMatch(/:gold_table|:'bucket_width'/);
    }
  });
});

describe('renderRollupResult', () => {
  const result: RollupResult = {
    granularity: '1h',
    mode: 'incremental',
    sourceConsumer: 'realtime',
    recomputed: 7,
    inserted: 1,
    updated: 2,
    deleted: 0,
    changed: 3,
    range: null,
    highWater: { previous: '2026-05-01T10:00:00.000Z', next: '2026-05-01T10:10:00.000Z' },
    durationMs: 31,
  };

  it('says what a run did in one line', () => {
    expect(renderRollupResult(result)).toBe(
      '1h  incremental from realtime, high-water mark 2026-05-01T10:10:00.000Z: 7 buckets recomputed, 3 upserted (1 new, 2 updated, 4 unchanged), 0 removed, 3 change fields updated, 31 ms',
    );
  });

  it('shows the range of a backfill', () => {
    const backfill: RollupResult = {
      ...result,
      granularity: '10m',
      mode: 'backfill',
      range: { from: '2026-05-01T10:00:00.000Z', to: 'infinity' },
      highWater: null,
    };

    expect(renderRollupResult(backfill)).toMatch(
      /^10m backfill from realtime \[2026-05-01T10:00:00\.000Z, infinity\): 7 buckets/,
    );
  });
});
