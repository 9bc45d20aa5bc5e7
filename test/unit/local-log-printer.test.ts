import { describe, expect, it } from 'vitest';
import { clock, createLogPrinter, formatFunctionLine } from '../../local/lambda/log-printer.ts';
import type { FunctionLogLine } from '../../local/shared/runtime-events.ts';

const time = new Date('2026-11-25T17:00:05.000Z');
const line = (text: string): FunctionLogLine => ({
  function: 'BatchConsumer',
  functionName: 'Pricestream-BatchConsumer1234',
  stream: 'stdout',
  line: text,
  requestId: 'r-1',
  time,
});

const powertools = (fields: Record<string, unknown>) =>
  JSON.stringify({
    level: 'INFO',
    message: 'batch written',
    timestamp: '2026-11-25T17:00:04.321Z',
    service: 'pricestream',
    cold_start: true,
    function_name: 'Pricestream-BatchConsumer1234',
    function_arn: 'arn:aws:lambda:us-east-1:000000000000:function:x',
    function_request_id: 'r-1',
    xray_trace_id: '1-abc',
    sampling_rate: 0,
    ...fields,
  });

describe('formatFunctionLine', () => {
  it('compacts a Powertools line to time, function, message and its own keys', () => {
    const formatted = formatFunctionLine(
      line(powertools({ written: 37, shard: 'shardId-1', note: 'a b' })),
      {
        verbose: false,
      },
    );

    expect(formatted).toEqual({
      text: `${clock(new Date('2026-11-25T17:00:04.321Z'))} [BatchConsumer] batch written written=37 shard=shardId-1 note="a b"`,
      written: 37,
    });
  });

  it('shows the level of warnings and errors and the error name and message', () => {
    const formatted = formatFunctionLine(
      line(
        powertools({
          level: 'ERROR',
          message: 'insert failed',
          error: { name: 'DatabaseError', message: 'down', stack: '…' },
        }),
      ),
      { verbose: false },
    );

    expect(formatted?.text).toMatch(
      /\[BatchConsumer\] ERROR insert failed error="DatabaseError: down"$/,
    );
  });

  it('hides DEBUG lines and EMF metric documents unless verbose', () => {
    const debug = line(powertools({ level: 'DEBUG' }));
    const emf = line(
      JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [] }, RowsWritten: 3 }),
    );

    expect(formatFunctionLine(debug, { verbose: false })).toBeUndefined();
    expect(formatFunctionLine(emf, { verbose: false })).toBeUndefined();
    expect(formatFunctionLine(emf, { verbose: true })?.text).toContain('"_aws"');
  });

  it('prints plain text lines as they are and skips blank ones', () => {
    expect(formatFunctionLine(line('hello there'), { verbose: false })?.text).toBe(
      `${clock(time)} [BatchConsumer] hello there`,
    );
    expect(formatFunctionLine(line('   '), { verbose: false })).toBeUndefined();
  });

  it('keeps the raw JSON in verbose mode', () => {
    const raw = powertools({ written: 2 });

    expect(formatFunctionLine(line(raw), { verbose: true })?.text).toBe(
      `${clock(time)} [BatchConsumer] ${raw}`,
    );
  });
});

describe('createLogPrinter', () => {
  it('adds a running total of rows written per function', () => {
    const out: string[] = [];
    const printer = createLogPrinter({ verbose: false, write: (text) => out.push(text) });

    printer.log?.(line(powertools({ written: 3 })));
    printer.log?.(line(powertools({ written: 4 })));
    printer.log?.({ ...line(powertools({ written: 1 })), function: 'RealtimeConsumer' });

    expect(out.map((o) => o.replace(/^\S+ /, ''))).toEqual([
      '[BatchConsumer] batch written written=3 (3 rows since start)\n',
      '[BatchConsumer] batch written written=4 (7 rows since start)\n',
      '[RealtimeConsumer] batch written written=1 (1 row since start)\n',
    ]);
  });

  it('prints failed invocations and notices', () => {
    const out: string[] = [];
    const printer = createLogPrinter({ verbose: false, write: (text) => out.push(text) });

    printer.invocation?.({
      function: 'FetchPrices',
      functionName: 'x',
      requestId: 'r-9',
      coldStart: false,
      initDurationMs: undefined,
      durationMs: 75_000,
      error: { name: 'Sandbox.Timedout', message: 'Task timed out after 75.00 seconds' },
    });
    printer.invocation?.({
      function: 'FetchPrices',
      functionName: 'x',
      requestId: 'r-10',
      coldStart: false,
      initDurationMs: undefined,
      durationMs: 5,
      error: undefined,
    });
    printer.notice?.({ level: 'warn', source: 'runtime', message: 'careful', time });

    expect(out).toEqual([
      expect.stringMatching(
        /\[FetchPrices\] ERROR invocation r-9 failed: Sandbox\.Timedout: Task timed out after 75\.00 seconds\n$/,
      ),
      `${clock(time)} [runtime] WARN careful\n`,
    ]);
  });
});
