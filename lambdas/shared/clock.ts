/**
 * Milliseconds since the epoch. Code that decides by time (record age,
 * retention, windows, time ranges) takes a clock it can be given, so a test
 * sets "now" instead of depending on the day it runs.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** A task set on a TimerClock; cancel() before it runs and it never does. */
export interface Timer {
  cancel(): void;
}

/**
 * A clock with timers: the one clock that timed work reads and waits on.
 * It is itself a Clock (call it for "now"), so code that only reads the time
 * keeps taking a plain Clock and is handed this one.
 *
 * Two kinds exist: the system's (real time, real timers: the default) and a
 * driven one for tests (local/shared/driven-clock.ts), where time moves only
 * when the test advances it and each due task runs at its own due time, with
 * what it started finished before the next. Code written against this
 * interface cannot tell them apart, which is the point: a schedule, a poller
 * or a backoff that arms `at()`/`after()` and `track()`s the work it starts
 * runs the same under both.
 */
export interface TimerClock {
  /** Now, ms since the epoch. */
  (): number;
  now(): number;
  /**
   * Runs `task` once the clock reads `dueMs` or later (at once when that is
   * already past). A driven clock waits for the promise the task returns, and
   * for work it track()s, before it runs anything due later.
   */
  at(dueMs: number, task: () => unknown): Timer;
  /** at(now() + delayMs, task). */
  after(delayMs: number, task: () => unknown): Timer;
  /** Resolves once `delayMs` have passed on this clock; rejects with the signal's reason when it aborts. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
  /**
   * Marks work a task started without returning it (an asynchronous
   * invocation): a driven clock lets it finish before time moves on; the
   * system clock does not wait. Returns `work`. Work that itself waits on
   * this clock must not be tracked: a driven clock would wait for it forever.
   */
  track<T>(work: Promise<T>): Promise<T>;
  /** False for real time; true when time moves only when driven. */
  readonly driven: boolean;
}

/** setTimeout's longest delay (about 24.8 days); longer waits are armed in steps. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Real timers on a clock's reading (the system clock by default; a clock
 * running ahead works too, as long as it moves at real speed). A timer checks
 * the clock when it wakes and sleeps again if it woke early (a long wait in
 * steps, or the wall clock set back), so a task never runs before its due
 * instant as this clock reads it.
 */
export function realTimerClock(read: Clock = systemClock): TimerClock {
  const at = (dueMs: number, task: () => unknown): Timer => {
    let handle: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = () => {
      const wait = dueMs - read();
      if (wait > 0) {
        handle = setTimeout(arm, Math.min(wait, MAX_TIMEOUT_MS));
        return;
      }
      if (cancelled) return;
      try {
        // A task that fails reports it itself; this only keeps the failure
        // from becoming an unhandled rejection that ends the process.
        Promise.resolve(task()).catch(reportTaskFailure);
      } catch (error) {
        reportTaskFailure(error);
      }
    };
    handle = setTimeout(arm, Math.min(Math.max(0, dueMs - read()), MAX_TIMEOUT_MS));
    return {
      cancel: () => {
        cancelled = true;
        clearTimeout(handle);
      },
    };
  };
  const clock: TimerClock = Object.assign(() => read(), {
    now: read,
    at,
    after: (delayMs: number, task: () => unknown) => at(read() + delayMs, task),
    sleep: (delayMs: number, signal?: AbortSignal) => sleepOn(clock, delayMs, signal),
    track: <T>(work: Promise<T>) => work,
    driven: false,
  });
  return clock;
}

/** The system's clock with real timers: the default everywhere. */
export const systemTimerClock: TimerClock = realTimerClock();

export function isTimerClock(clock: Clock | TimerClock): clock is TimerClock {
  return typeof (clock as Partial<TimerClock>).at === 'function';
}

/** A TimerClock as it is, or real timers on a plain clock's reading. */
export function timerClockOf(clock: Clock | TimerClock | undefined): TimerClock {
  if (clock === undefined) return systemTimerClock;
  return isTimerClock(clock) ? clock : realTimerClock(clock);
}

/** sleep() for any TimerClock, built on its at(). */
export function sleepOn(clock: TimerClock, delayMs: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      timer.cancel();
      reject(abortReason(signal));
    };
    const timer = clock.after(delayMs, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new Error('aborted');
}

function reportTaskFailure(error: unknown): void {
  process.stderr.write(
    `a timer task failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
}
