import { describe, expect, it } from 'vitest';
import {
  nextFirings,
  parseScheduleExpression,
  ScheduleExpressionError,
  shortestGapMs,
} from '../../cdk/schedule-expression.ts';

/** The next `count` firings after `from`, as ISO minutes (`2026-01-31T10:00`). */
function next(expression: string, from: string, count = 3): string[] {
  const schedule = parseScheduleExpression(expression);
  return nextFirings(schedule, Date.parse(from), count).map((t) =>
    new Date(t).toISOString().slice(0, 16),
  );
}

function refusal(expression: string): string {
  try {
    parseScheduleExpression(expression);
  } catch (error) {
    if (error instanceof ScheduleExpressionError) return error.message;
    throw error;
  }
  throw new Error(`${expression} was accepted`);
}

// Friday 2026-01-30, 20:00 UTC.
const FRIDAY_EVENING = '2026-01-30T20:00:00Z';

describe("AWS's documented cron examples (EventBridge user guide, cron expressions)", () => {
  it.each([
    // Run at 10:00 am (UTC+0) every day
    ['cron(0 10 * * ? *)', ['2026-01-31T10:00', '2026-02-01T10:00', '2026-02-02T10:00']],
    // Run at 12:15 pm (UTC+0) every day
    ['cron(15 12 * * ? *)', ['2026-01-31T12:15', '2026-02-01T12:15', '2026-02-02T12:15']],
    // Run at 6:00 pm (UTC+0) every Monday through Friday
    ['cron(0 18 ? * MON-FRI *)', ['2026-02-02T18:00', '2026-02-03T18:00', '2026-02-04T18:00']],
    // Run at 8:00 am (UTC+0) every 1st day of the month
    ['cron(0 8 1 * ? *)', ['2026-02-01T08:00', '2026-03-01T08:00', '2026-04-01T08:00']],
    // Run every 15 minutes
    ['cron(0/15 * * * ? *)', ['2026-01-30T20:15', '2026-01-30T20:30', '2026-01-30T20:45']],
    // Run every 10 minutes Monday through Friday
    ['cron(0/10 * ? * MON-FRI *)', ['2026-01-30T20:10', '2026-01-30T20:20', '2026-01-30T20:30']],
    // Run every 5 minutes Monday through Friday between 8:00 am and 5:55 pm (UTC+0)
    ['cron(0/5 8-17 ? * MON-FRI *)', ['2026-02-02T08:00', '2026-02-02T08:05', '2026-02-02T08:10']],
    // every day, at 2:05pm and 2:35pm (the put-rule example)
    ['cron(5,35 14 * * ? *)', ['2026-01-31T14:05', '2026-01-31T14:35', '2026-02-01T14:05']],
    // every day at 12:00pm (the put-rule example)
    ['cron(0 12 * * ? *)', ['2026-01-31T12:00', '2026-02-01T12:00', '2026-02-02T12:00']],
    // "1/10: every tenth minute, starting from the first minute of the hour (the 11th, 21st…)"
    ['cron(1/10 * * * ? *)', ['2026-01-30T20:01', '2026-01-30T20:11', '2026-01-30T20:21']],
  ])('%s', (expression, firings) => {
    expect(next(expression, FRIDAY_EVENING)).toEqual(firings);
  });

  it('ends the 8-17 range at 5:55 pm and skips the weekend', () => {
    expect(next('cron(0/5 8-17 ? * MON-FRI *)', '2026-01-30T17:50:00Z')).toEqual([
      '2026-01-30T17:55',
      '2026-02-02T08:00',
      '2026-02-02T08:05',
    ]);
  });

  it('runs the wrapping 20-2 range from 10 pm to the small hours, on weekdays only', () => {
    // Run every 30 minutes Monday through Friday between 10:00 pm on the
    // starting day to 2:00 am on the following day; on Monday from 12:00 am.
    expect(next('cron(0/30 20-2 ? * MON-FRI *)', '2026-01-30T23:00:00Z', 2)).toEqual([
      '2026-01-30T23:30',
      '2026-02-02T00:00',
    ]);
    expect(next('cron(0/30 20-2 ? * MON-FRI *)', '2026-02-02T02:00:00Z', 2)).toEqual([
      '2026-02-02T02:30',
      '2026-02-02T20:00',
    ]);
  });

  it('runs at 10:15am on the last Friday of each month during 2019 to 2022, and then never', () => {
    const expression = 'cron(15 10 ? * 6L 2019-2022)';

    expect(next(expression, '2019-01-01T00:00:00Z')).toEqual([
      '2019-01-25T10:15',
      '2019-02-22T10:15',
      '2019-03-29T10:15',
    ]);
    expect(next(expression, '2022-12-01T00:00:00Z')).toEqual(['2022-12-30T10:15']);
  });
});

describe('L, W and #', () => {
  it('L in day-of-month is the last day, leap years included', () => {
    expect(next('cron(0 12 L * ? *)', '2028-02-01T00:00:00Z')).toEqual([
      '2028-02-29T12:00',
      '2028-03-31T12:00',
      '2028-04-30T12:00',
    ]);
  });

  it('nW is the weekday nearest day n, never in another month; LW the last weekday', () => {
    // 3 Jan 2026 is a Saturday, 3 May a Sunday; 1 Aug a Saturday.
    expect(next('cron(0 12 3W * ? *)', '2026-01-01T00:00:00Z')).toEqual([
      '2026-01-02T12:00',
      '2026-02-03T12:00',
      '2026-03-03T12:00',
    ]);
    expect(next('cron(0 12 3W * ? *)', '2026-05-01T00:00:00Z', 1)).toEqual(['2026-05-04T12:00']);
    expect(next('cron(0 12 1W * ? *)', '2026-08-01T00:00:00Z', 1)).toEqual(['2026-08-03T12:00']);
    expect(next('cron(0 12 LW * ? *)', '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-30T12:00',
      '2026-02-27T12:00',
    ]);
  });

  it('d#n is the nth day d of the month (3#2: the second Tuesday); a month without it is skipped', () => {
    expect(next('cron(0 9 ? * 3#2 *)', '2026-02-01T00:00:00Z')).toEqual([
      '2026-02-10T09:00',
      '2026-03-10T09:00',
      '2026-04-14T09:00',
    ]);
    expect(next('cron(0 9 ? * FRI#5 *)', '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-30T09:00',
      '2026-05-29T09:00',
    ]);
  });

  it('L in day-of-week is Saturday, the last day of the week; dL the last day d of the month', () => {
    expect(next('cron(0 12 ? * L *)', FRIDAY_EVENING, 2)).toEqual([
      '2026-01-31T12:00',
      '2026-02-07T12:00',
    ]);
    expect(next('cron(0 12 ? * 6L *)', '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-30T12:00',
      '2026-02-27T12:00',
    ]);
  });

  it('numbers the days 1-7 from Sunday, and wraps a range of days', () => {
    expect(next('cron(0 0 ? * 1 *)', FRIDAY_EVENING, 1)).toEqual(['2026-02-01T00:00']);
    expect(next('cron(0 0 ? * SUN *)', FRIDAY_EVENING, 1)).toEqual(['2026-02-01T00:00']);
    expect(next('cron(0 12 ? * SAT-MON *)', FRIDAY_EVENING, 4)).toEqual([
      '2026-01-31T12:00',
      '2026-02-01T12:00',
      '2026-02-02T12:00',
      '2026-02-07T12:00',
    ]);
  });
});

describe('rate()', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(1 hour)', 3_600_000],
    ['rate(1 day)', 86_400_000],
  ])('%s every %i ms', (expression, periodMs) => {
    expect(parseScheduleExpression(expression)).toMatchObject({ kind: 'rate', periodMs });
    expect(shortestGapMs(parseScheduleExpression(expression))).toBe(periodMs);
  });
});

describe('refusals, each in one line with the rule broken', () => {
  it.each([
    ['rate(1 hours)', /with the value 1 the unit is hour, not hours/],
    ['rate(5 hour)', /with the value 5 the unit is hours, not hour/],
    ['rate(0 minutes)', /positive whole number, got 0/],
    ['rate(5 seconds)', /minute\(s\), hour\(s\) or day\(s\), got seconds/],
    ['cron(0 12 * * *)', /takes 6 fields .*got 5/],
    [
      'cron(0 12 * * MON *)',
      /exactly one of day-of-month and day-of-week must be \? \(got \* and MON\)/,
    ],
    ['cron(0 12 ? * ? *)', /exactly one of day-of-month and day-of-week must be \?/],
    ['cron(0 12 ? * 8 *)', /day-of-week 8 is out of range 1-7/],
    ['cron(0 12 ? * 3#1,6#3 *)', /n#k alone/],
    ['cron(0 12 ? * 3#6 *)', /instance after # must be 1-5/],
    ['cron(60 12 * * ? *)', /minutes 60 is out of range 0-59/],
    ['cron(0 12 * * ? 1969)', /year 1969 is out of range 1970-2199/],
    ['cron(0 12 15W * ? 2030-2026)', /runs backwards/],
    ['cron(0 12 W * ? *)', /day-of-month takes L, LW or nW/],
    ['cron(0 L * * ? *)', /hours: L is not a number/],
    ['every day', /not a rate\(\.\.\.\) or cron\(\.\.\.\) expression/],
  ])('%s', (expression, message) => {
    const text = refusal(expression);

    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });
});

describe('shortestGapMs', () => {
  it('is the least time between two firings of a cron', () => {
    expect(shortestGapMs(parseScheduleExpression('cron(0/10 8-17 ? * MON-FRI *)'))).toBe(600_000);
    expect(shortestGapMs(parseScheduleExpression('cron(5 * * * ? *)'))).toBe(3_600_000);
    expect(shortestGapMs(parseScheduleExpression('cron(15 10 ? * 6L 2019-2022)'))).toBeUndefined();
  });
});
