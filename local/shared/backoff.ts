/**
 * Retry delays and sleeps that end early when the runtime stops, so a
 * shutdown never waits out a 10-second backoff. They wait on the runtime's
 * clock (the system's by default).
 */
import { systemTimerClock, type TimerClock } from '../../lambdas/shared/clock.ts';

export interface BackoffOptions {
  /** First delay, ms. Default 500. */
  initialDelayMs?: number;
  /** Longest delay, ms. Default 10,000. */
  maxDelayMs?: number;
}

export class Backoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  private next: number;

  constructor(options: BackoffOptions = {}) {
    this.initialDelayMs = options.initialDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.next = this.initialDelayMs;
  }

  /** The delay to wait now; the following one doubles, up to the maximum. */
  nextDelay(): number {
    const delay = this.next;
    this.next = Math.min(this.next * 2, this.maxDelayMs);
    return delay;
  }

  reset(): void {
    this.next = this.initialDelayMs;
  }
}

export class StoppedError extends Error {
  override name = 'StoppedError';
  constructor() {
    super('the local runtime is stopping');
  }
}

/** Resolves after `ms` on `clock`, or rejects with StoppedError as soon as `signal` aborts. */
export function sleep(
  ms: number,
  signal?: AbortSignal,
  clock: TimerClock = systemTimerClock,
): Promise<void> {
  return clock.sleep(ms, signal).catch(() => {
    throw new StoppedError();
  });
}

/**
 * Runs `operation` until it succeeds or `signal` aborts. Used for the
 * runtime's own bookkeeping writes (checkpoints, dead letters): a database
 * outage must delay the shard, never skip records.
 */
export async function retryUntilDone<T>(
  operation: () => Promise<T>,
  options: {
    signal?: AbortSignal;
    backoff?: BackoffOptions;
    onRetry?: (error: unknown, attempt: number) => void;
    /** What the delays wait on. Default the system clock. */
    clock?: TimerClock;
  } = {},
): Promise<T> {
  const backoff = new Backoff(options.backoff);
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw new StoppedError();
    try {
      return await operation();
    } catch (error) {
      if (error instanceof StoppedError) throw error;
      options.onRetry?.(error, attempt);
      await sleep(backoff.nextDelay(), options.signal, options.clock);
    }
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
