import { describe, expect, it } from 'vitest';
import { parseRedriveArgs, renderRedrive, UsageError } from '../../scripts/redrive.ts';

describe('npm run redrive arguments', () => {
  it('reads local filters and the AWS source', () => {
    expect(
      parseRedriveArgs(['--id', '7', '--id=9', '--function', 'BatchConsumer', '--retries', '0']),
    ).toMatchObject({
      ids: ['7', '9'],
      functionName: 'BatchConsumer',
      retries: 0,
      aws: false,
    });
    expect(parseRedriveArgs(['--aws', '--bucket', 'b', '--prefix', 'p/', '--json'])).toMatchObject({
      aws: true,
      bucket: 'b',
      prefix: 'p/',
      json: true,
    });
  });

  it.each([
    [['--id', 'x'], "--id must be a dead letter's number, got x"],
    [['--retries', '-1'], '--retries must be a whole number from 0 to 100, got -1'],
    [['--aws'], '--aws needs --bucket'],
    [['--bucket', 'b'], '--bucket and --prefix go with --aws'],
    [['--aws', '--bucket', 'b', '--id', '1'], '--id is for local dead letters'],
    [['--function'], '--function needs a value'],
    [['--everything'], 'unknown option --everything'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseRedriveArgs(argv)).toThrow(new UsageError(message));
  });

  it('says when there is nothing to do, and sums up what it did', () => {
    expect(renderRedrive([])).toBe('No dead letters waiting to be redriven.\n');
    const text = renderRedrive([
      {
        id: '3',
        function: 'BatchConsumer',
        shardId: 's-1',
        records: 2,
        reason: 'RetryAttemptsExhausted',
        outcome: { ok: true, invocations: 1 },
      },
      {
        id: '4',
        function: 'BatchConsumer',
        shardId: 's-2',
        records: 1,
        reason: 'RecordAgeExceeded',
        outcome: { ok: false, error: 'boom' },
      },
    ]);
    expect(text).toMatch(/^3 +BatchConsumer +s-1 +2 +RetryAttemptsExhausted +redriven$/m);
    expect(text).toMatch(/^4 +BatchConsumer +s-2 +1 +RecordAgeExceeded +failed: boom$/m);
    expect(text.trimEnd().split('\n').at(-1)).toBe('2 dead letters: 1 redriven, 1 still failing');
  });
});
