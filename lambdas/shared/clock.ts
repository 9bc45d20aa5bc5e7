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
 * what it started finished before the next (up to where it sleeps on the
 * clock again). Code written against this interface cannot tell them apart,
 * which is the point: a schedule that arms `at()` and `track()`s the work it
 * starts, or a poller or a backoff written as plain async code that
 * `sleep()`s on the clock, runs the same under both.
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
  /**
   * Runs each of `works` as a task of its own, at once, and waits for all of
   * them (as Promise.all). A task that waits on work that sleeps on this clock
   * waits through here: a driven clock runs each (until it sleeps or ends),
   * moves on while they sleep, and goes on with the caller once all have
   * settled. Awaited directly, two lines of work sleeping in one task could
   * leave an advance waiting on the one that finished for the one asleep.
   */
  all<T>(works: ReadonlyArray<() => Promise<T>>): Promise<T[]>;
  /**
   * Runs `work` apart from the task that calls it: a driven clock waits
   * neither for it nor, after its sleeps, for what it goes on to do. For a
   * loop the real world paces (a subscription Kinesis pushes to), which
   * would otherwise hold an advance for as long as it runs.
   */
  background<T>(work: () => T): T;
  /**
   * What this clock read at an instant of the system's clock: how the
   * runtime reads times the real world stamped (kinesis-local's record
   * arrivals). The system's clock: the same instant. A driven clock: its
   * reading then, so a record put while it read 12:00:00 is a minute old
   * when it reads 12:01:00, however long that took in real time.
   */
  fromSystemTime(systemMs: number): number;
  /**
   * The first instant of the system's clock at which this clock read
   * `clockMs` or later (the other way round: what the runtime calls older
   * than the retention, in kinesis-local's stamps). Infinity while it has
   * not got there.
   */
  toSystemTime(clockMs: number): number;
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
    all: <T>(works: ReadonlyArray<() => Promise<T>>) => Promise.all(works.map((work) => work())),
    background: <T>(work: () => T) => work(),
    // A plain clock (even one running ahead) reads system stamps as they are.
    fromSystemTime: (systemMs: number) => systemMs,
    toSystemTime: (clockMs: number) => clockMs,
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
