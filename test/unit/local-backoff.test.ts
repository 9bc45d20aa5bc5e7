import { describe, expect, it } from 'vitest';
import { Backoff, retryUntilDone, StoppedError, sleep } from '../../local/shared/backoff.ts';

describe('Backoff', () => {
  it('doubles from the first delay up to the maximum, and resets', () => {
    const backoff = new Backoff({ initialDelayMs: 500, maxDelayMs: 3_000 });

    const delays = [1, 2, 3, 4, 5].map(() => backoff.nextDelay());
    backoff.reset();

    expect(delays).toEqual([500, 1_000, 2_000, 3_000, 3_000]);
    expect(backoff.nextDelay()).toBe(500);
  });
});

describe('retryUntilDone', () => {
  it('retries a failing write until it succeeds (a database outage)', async () => {
    let calls = 0;
    const retries: number[] = [];

    const result = await retryUntilDone(
      async () => {
        calls++;
        if (calls < 4) throw new Error('connection refused');
        return 'saved';
      },
      {
        backoff: { initialDelayMs: 1, maxDelayMs: 2 },
        onRetry: (_e, attempt) => retries.push(attempt),
      },
    );

    expect(result).toBe('saved');
    expect(retries).toEqual([1, 2, 3]);
  });

  it('gives up with StoppedError when the signal aborts', async () => {
    const controller = new AbortController();
    const retrying = retryUntilDone(
      async () => {
        controller.abort();
        throw new Error('down');
      },
      { signal: controller.signal, backoff: { initialDelayMs: 60_000 } },
    );

    await expect(retrying).rejects.toBeInstanceOf(StoppedError);
  });
});

describe('sleep', () => {
  it('ends early when aborted', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const sleeping = sleep(60_000, controller.signal);

    controller.abort();

    await expect(sleeping).rejects.toBeInstanceOf(StoppedError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
