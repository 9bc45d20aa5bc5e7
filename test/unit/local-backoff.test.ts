import { describe, expect, it } from 'vitest';
import { Backoff, retryUntilDone, StoppedError, sleep } from '../../local/shared/backoff.ts';
import { createDrivenClock } from '../../local/shared/driven-clock.ts';

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
  it('retries a failing write until it succeeds (a database outage), waiting on its clock', async () => {
    const clock = createDrivenClock();
    const started = clock.now();
    let calls = 0;
    const retries: Array<[number, number]> = [];

    const result = await clock.run(() =>
      retryUntilDone(
        async () => {
          calls++;
          if (calls < 4) throw new Error('connection refused');
          return 'saved';
        },
        {
          backoff: { initialDelayMs: 500, maxDelayMs: 1_500 },
          onRetry: (_e, attempt) => retries.push([attempt, clock.now() - started]),
          clock,
        },
      ),
    );

    expect(result).toBe('saved');
    expect(retries).toEqual([
      [1, 0],
      [2, 500],
      [3, 1_500],
    ]);
    expect(clock.now() - started).toBe(3_000);
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
  it('waits on the clock it is given, and ends with StoppedError when aborted there', async () => {
    const clock = createDrivenClock();
    const controller = new AbortController();
    let woke = false;
    const sleeping = sleep(1_000, undefined, clock).then(() => {
      woke = true;
    });
    const aborted = sleep(1_000, controller.signal, clock).catch((error: unknown) => error);

    await clock.advanceBy(999);
    expect(woke).toBe(false);
    controller.abort();
    await clock.advanceBy(1);
    await sleeping;

    expect(woke).toBe(true);
    expect(await aborted).toBeInstanceOf(StoppedError);
  });

  it('ends early when aborted', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const sleeping = sleep(60_000, controller.signal);

    controller.abort();

    await expect(sleeping).rejects.toBeInstanceOf(StoppedError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
