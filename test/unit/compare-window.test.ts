import { describe, expect, it } from 'vitest';
import {
  checkBounds,
  formatDuration,
  parseBound,
  resolveWindow,
  WindowError,
} from '../../lambdas/shared/report-window.ts';

describe('parseBound', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['90m', 5_400_000],
  ])('reads the duration %s', (text, ms) => {
    expect(parseBound('--since', text)).toEqual({ ago: ms });
  });

  it.each([
    ['2026-05-01T12:00:00Z', '2026-05-01T12:00:00.000Z'],
    ['2026-05-01T14:00:00+02:00', '2026-05-01T12:00:00.000Z'],
    ['2026-05-01T12:00:00.250Z', '2026-05-01T12:00:00.250Z'],
    ['2026-05-01 12:00', '2026-05-01T12:00:00.000Z'],
    ['2026-05-01T12:00:00', '2026-05-01T12:00:00.000Z'],
    ['2026-05-01', '2026-05-01T00:00:00.000Z'],
  ])('reads the time %s, as UTC when it has no offset', (text, iso) => {
    const bound = parseBound('--since', text);
    expect('at' in bound && bound.at.toISOString()).toBe(iso);
  });

  it('takes "now" for --until only', () => {
    expect(parseBound('--until', 'now')).toEqual({ ago: 0 });
    expect(() => parseBound('--since', 'now')).toThrow(WindowError);
  });

  it.each(['5x', '5', 'm', '-5m', '5 m', '1.5h', '0m', '', '2026-13-01', 'yesterday'])(
    'rejects %j with a message naming the option',
    (text) => {
      expect(() => parseBound('--since', text)).toThrow(/^--since must be/);
    },
  );
});

describe('resolveWindow', () => {
  const now = new Date('2026-05-01T12:00:00Z');

  it('measures durations back from the given clock', () => {
    expect(resolveWindow(now, { ago: 300_000 }, { ago: 0 })).toEqual({
      since: new Date('2026-05-01T11:55:00Z'),
      until: now,
    });
  });

  it('rejects a window that ends before it starts, or is empty', () => {
    expect(() => resolveWindow(now, { ago: 60_000 }, { ago: 120_000 })).toThrow(
      '--since (2026-05-01T11:59:00.000Z) must be before --until (2026-05-01T11:58:00.000Z)',
    );
    expect(() => resolveWindow(now, { at: now }, { at: now })).toThrow(WindowError);
  });

  it('rejects windows longer than 31 days', () => {
    expect(() => resolveWindow(now, { ago: 32 * 86_400_000 }, { ago: 0 })).toThrow(/31 days/);
    expect(resolveWindow(now, { ago: 31 * 86_400_000 }, { ago: 0 }).until).toEqual(now);
  });

  it('checks two bounds of the same kind before any clock is known', () => {
    expect(() => checkBounds({ ago: 60_000 }, { ago: 120_000 })).toThrow(WindowError);
    expect(() =>
      checkBounds({ at: new Date('2026-05-02') }, { at: new Date('2026-05-01') }),
    ).toThrow(WindowError);
    // A time and a duration depend on the database clock: left to resolveWindow.
    expect(() => checkBounds({ at: new Date('2999-01-01') }, { ago: 0 })).not.toThrow();
  });
});

describe('formatDuration', () => {
  it.each([
    [300_000, '5 min'],
    [30_000, '30 s'],
    [5_400_000, '1 h 30 min'],
    [86_400_000, '1 d'],
    [400, '400 ms'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
