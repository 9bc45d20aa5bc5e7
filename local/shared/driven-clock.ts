/**
 * A clock that moves only when driven: tests (and anyone who wants a
 * deterministic run) advance it instead of sleeping.
 *
 * One clock and one queue of due tasks. Advancing walks time forward through
 * every task that falls due on the way, earliest first (tasks due at the same
 * instant in the order they were set): the clock reads each task's own due
 * time while it runs, and the task's promise and the work it track()ed settle
 * before the next task is taken, so work that cascades (a schedule firing an
 * invocation, a poller arming its next poll) happens in order and has happened
 * when the advance returns. What only the real world times (a worker thread,
 * PostgreSQL, kinesis-local) still takes real time; the advance waits for it.
 *
 * A task may wait on this clock itself (a poller's `await clock.sleep()`
 * between polls, a retry's backoff): the advance then waits for the task only
 * until it sleeps, moves on, and when the sleep is due waits for what the task
 * does next until it sleeps again or ends. So a loop written as plain async
 * code runs step by step under a driven clock, each step done when the advance
 * passes it. The task's async context tells its sleeps apart; work started
 * with `background()` is apart from it and never waited for.
 *
 * What a task may wait on, then: the clock (sleep), the real world (a request,
 * a query, an invocation), and other tasks through `all()`. Not on other work
 * that sleeps on this clock directly: an advance waiting on the task would
 * wait for that work's wake-up, which comes only after it. For the same
 * reason one task runs one line of work that sleeps at a time (concurrent
 * lines go through `all()`), and what a task leaves running once it has
 * ended is not waited for.
 *
 *   const clock = createDrivenClock('2026-03-31T23:50:00Z');
 *   runtime = await startLocalRuntime({ clock, … });
 *   await clock.advanceBy(15 * 60_000); // every schedule due by 00:05 has fired
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Timer, TimerClock } from '../../lambdas/shared/clock.ts';

export interface DrivenClock extends TimerClock {
  readonly driven: true;
  /**
   * Moves time forward by `ms`, running everything that falls due. A task
   * that throws stops the advance there: the clock stays at its due time, the
   * error is thrown, and later tasks stay queued.
   */
  advanceBy(ms: number): Promise<void>;
  /** advanceBy up to an instant; an instant in the past only runs what is already due. */
  advanceTo(instant: number | Date | string): Promise<void>;
  /** Runs what is due now (tasks set at or before the current instant) and waits for their work. */
  settle(): Promise<void>;
  /**
   * Runs `work` as a task due now and advances from due task to due task
   * until it settles, then resolves or rejects as it did. For work started
   * from outside the clock that waits on it (a start-up waiting for its
   * services, a retry loop under test). While nothing is due and `work` has
   * not settled (it waits on the real world), it waits in real time. Fails
   * when the next due task is more than `withinMs` of clock time away
   * (default an hour): `work` is waiting for something that will not come.
   */
  run<T>(work: () => T | Promise<T>, options?: { withinMs?: number }): Promise<T>;
  /** Tasks waiting for time to reach them. */
  readonly pending: number;
  /** When the earliest waiting task is due, if any. */
  nextDueAt(): number | undefined;
}

/** A task the clock runs, with everything it goes on to do (its async context). */
interface TaskRun {
  /** The task's own promise. */
  result: Promise<unknown>;
  settled: boolean;
  /** Whether an advance is waiting on this run right now. */
  watched: boolean;
  /** While watched: called when some part of the run starts sleeping on the clock. */
  onPark: (() => void) | undefined;
}

interface DueTask {
  dueMs: number;
  seq: number;
  task: () => unknown;
  /** A sleep's wake-up: the run that sleeps, whose next steps the advance waits for. */
  resumes: TaskRun | undefined;
}

export function createDrivenClock(start?: number | Date | string): DrivenClock {
  const createdAt = Date.now();
  let now = start === undefined ? createdAt : instant(start);
  let seq = 0;
  const queue: DueTask[] = [];
  const tracked = new Set<Promise<unknown>>();
  const context = new AsyncLocalStorage<TaskRun>();
  /** Failures of runs that ended while no advance waited on them: thrown by the next. */
  const lateFailures: unknown[] = [];
  // The system time at each change of the reading (one entry per system
  // millisecond, the last reading in it), for fromSystemTime/toSystemTime.
  // Readings within one walk may share a millisecond; a walk's first and
  // last do not share theirs with anything outside it.
  const systemTimes = [createdAt];
  const readings = [now];

  const setNow = (to: number) => {
    if (to <= now) return;
    now = to;
    const last = systemTimes.length - 1;
    const system = Math.max(Date.now(), systemTimes[last] as number);
    if (system === systemTimes[last]) {
      readings[last] = to;
    } else {
      systemTimes.push(system);
      readings.push(to);
    }
  };

  const schedule = (dueMs: number, task: () => unknown, resumes?: TaskRun): Timer => {
    const entry: DueTask = { dueMs, seq: seq++, task, resumes };
    queue.push(entry);
    return {
      cancel: () => {
        const index = queue.indexOf(entry);
        if (index >= 0) queue.splice(index, 1);
      },
    };
  };

  const earliestDue = (): DueTask | undefined => {
    let earliest: DueTask | undefined;
    for (const entry of queue) {
      if (
        !earliest ||
        entry.dueMs < earliest.dueMs ||
        (entry.dueMs === earliest.dueMs && entry.seq < earliest.seq)
      ) {
        earliest = entry;
      }
    }
    return earliest;
  };

  const takeNextDueBy = (limit: number): DueTask | undefined => {
    const earliest = earliestDue();
    if (!earliest || earliest.dueMs > limit) return undefined;
    queue.splice(queue.indexOf(earliest), 1);
    return earliest;
  };

  /** Waits until no tracked work is left (work may track more work as it goes). */
  const drainTracked = async () => {
    while (tracked.size > 0) await Promise.all([...tracked]);
  };

  /**
   * Lets `run` go on (`resume`) and waits until it ends or some part of it
   * sleeps on the clock. A failure while watched is thrown here.
   */
  const watch = async (run: TaskRun, resume: () => void) => {
    if (run.settled) {
      resume();
      return;
    }
    const parked = new Promise<void>((resolve) => {
      run.onPark = resolve;
    });
    run.watched = true;
    try {
      resume();
      await Promise.race([run.result, parked]);
    } finally {
      run.watched = false;
      run.onPark = undefined;
    }
  };

  /** Starts a task as a run of its own, in its own async context. */
  const startRun = (task: () => unknown): Promise<void> => {
    const run: TaskRun = {
      result: Promise.resolve(),
      settled: false,
      watched: false,
      onPark: undefined,
    };
    return watch(run, () => {
      let value: unknown;
      try {
        value = context.run(run, task);
      } catch (error) {
        value = Promise.reject(error);
      }
      run.result = Promise.resolve(value);
      run.result.then(
        () => {
          run.settled = true;
        },
        (error) => {
          run.settled = true;
          if (!run.watched) lateFailures.push(error);
        },
      );
    });
  };

  /** Runs one due task at its due time, and what it set going, until all of it waits or ends. */
  const step = async (due: DueTask) => {
    // An overdue task runs at the current time: time never goes back.
    setNow(Math.max(now, due.dueMs));
    if (due.resumes) await watch(due.resumes, () => due.task());
    else await startRun(due.task);
    await drainTracked();
    // What settled with it (a Promise.all of lanes, a join) resumes its
    // waiter in promise callbacks: let them run, so the waiter is queued at
    // this instant before anything due later is taken.
    await new Promise((resolve) => setImmediate(resolve));
    if (lateFailures.length > 0) throw lateFailures.shift();
  };

  let advancing = false;
  const exclusively = async <T>(walk: () => Promise<T>): Promise<T> => {
    // Two walks through time at once would interleave their tasks.
    if (advancing) throw new Error('the driven clock is already being advanced: await that first');
    advancing = true;
    try {
      await drainTracked();
      // Each walk starts and ends in a system millisecond of its own, so
      // that what the real world stamped before it (a record put) reads as
      // the time before it, and what it stamps after, as the time after.
      const from = now;
      await nextSystemMillisecond();
      const result = await walk();
      if (now !== from) await nextSystemMillisecond();
      return result;
    } finally {
      advancing = false;
    }
  };

  const runUpTo = (limit: number) =>
    exclusively(async () => {
      for (let due = takeNextDueBy(limit); due; due = takeNextDueBy(limit)) await step(due);
      setNow(Math.max(now, limit));
    });

  const sleep = (delayMs: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const run = context.getStore();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        timer.cancel();
        reject(abortReason(signal));
      };
      const timer = schedule(
        now + delayMs,
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        run,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      // The advance waiting on this run may move on: it waits on the clock now.
      run?.onPark?.();
    });
  };

  /**
   * Resumes the task that waits for `work` at the clock's time when it has
   * settled: as a due task while the clock is driven, so the advance waits
   * for what the task does next; at once when it settles between advances
   * (its lines of work ended by a stop, not by time), since no advance
   * would come to resume it.
   */
  const join = <T>(work: Promise<T>): Promise<T> => {
    const run = context.getStore();
    if (!run) return work;
    return new Promise<T>((resolve, reject) => {
      const resume = (settle: () => void) => {
        if (advancing) schedule(now, settle, run);
        else settle();
      };
      work.then(
        (value) => resume(() => resolve(value)),
        (error) => resume(() => reject(error)),
      );
      run.onPark?.();
    });
  };

  const all = <T>(works: ReadonlyArray<() => Promise<T>>): Promise<T[]> =>
    join(
      Promise.all(
        works.map(
          (work) =>
            new Promise<T>((resolve, reject) => {
              // Its failure is the caller's, not the advance's.
              schedule(now, () => Promise.resolve().then(work).then(resolve, reject));
            }),
        ),
      ),
    );

  const run = <T>(work: () => T | Promise<T>, options: { withinMs?: number } = {}) =>
    exclusively(async () => {
      let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
      schedule(now, () =>
        Promise.resolve()
          .then(work)
          .then(
            (value) => {
              outcome = { ok: true, value };
            },
            (error) => {
              outcome = { ok: false, error };
            },
          ),
      );
      const withinMs = options.withinMs ?? 3_600_000;
      const limit = now + withinMs;
      while (!outcome) {
        const next = earliestDue();
        if (next && next.dueMs <= limit) {
          queue.splice(queue.indexOf(next), 1);
          await step(next);
        } else if (next) {
          throw new Error(
            `the work run on the driven clock did not settle within ${withinMs} ms of clock time`,
          );
        } else {
          // Nothing is due: it waits on the real world (kinesis-local, a function).
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    });

  const clock = Object.assign(() => now, {
    now: () => now,
    at: (dueMs: number, task: () => unknown) => schedule(dueMs, task),
    after: (delayMs: number, task: () => unknown) => schedule(now + delayMs, task),
    sleep,
    track: <T>(work: Promise<T>): Promise<T> => {
      const settled = work.then(
        () => {},
        () => {},
      );
      tracked.add(settled);
      void settled.then(() => tracked.delete(settled));
      return work;
    },
    all,
    background: <T>(work: () => T): T => context.exit(work),
    fromSystemTime: (systemMs: number): number => {
      const first = systemTimes[0] as number;
      if (systemMs < first) return systemMs - first + (readings[0] as number);
      // The last change at or before systemMs.
      let low = 0;
      let high = systemTimes.length - 1;
      while (low < high) {
        const mid = Math.ceil((low + high) / 2);
        if ((systemTimes[mid] as number) <= systemMs) low = mid;
        else high = mid - 1;
      }
      return readings[low] as number;
    },
    toSystemTime: (clockMs: number): number => {
      const first = readings[0] as number;
      if (clockMs <= first) return (systemTimes[0] as number) - (first - clockMs);
      if (clockMs > now) return Number.POSITIVE_INFINITY;
      // The first change that reached clockMs.
      let low = 0;
      let high = readings.length - 1;
      while (low < high) {
        const mid = Math.floor((low + high) / 2);
        if ((readings[mid] as number) >= clockMs) high = mid;
        else low = mid + 1;
      }
      return systemTimes[low] as number;
    },
    driven: true as const,
    advanceBy: (ms: number) => {
      if (!Number.isFinite(ms) || ms < 0) {
        return Promise.reject(
          new RangeError(`advanceBy takes a duration ≥ 0 ms, got ${String(ms)}`),
        );
      }
      return runUpTo(now + ms);
    },
    advanceTo: (to: number | Date | string) => runUpTo(instant(to)),
    settle: () => runUpTo(now),
    run,
    nextDueAt: () => earliestDue()?.dueMs,
  });
  // A getter (Object.assign would copy its value once).
  Object.defineProperty(clock, 'pending', { get: () => queue.length });
  return clock as DrivenClock;
}

async function nextSystemMillisecond(): Promise<void> {
  const ms = Date.now();
  while (Date.now() === ms) await new Promise((resolve) => setTimeout(resolve, 1));
}

function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new Error('aborted');
}

function instant(value: number | Date | string): number {
  const ms =
    typeof value === 'number' ? value : value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) throw new RangeError(`not an instant: ${String(value)}`);
  return ms;
}
