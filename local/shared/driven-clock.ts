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
 *   const clock = createDrivenClock('2026-03-31T23:50:00Z');
 *   runtime = await startLocalRuntime({ clock, … });
 *   await clock.advanceBy(15 * 60_000); // every schedule due by 00:05 has fired
 */
import type { Timer, TimerClock } from '../../lambdas/shared/clock.ts';
import { sleepOn } from '../../lambdas/shared/clock.ts';

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
  /** Tasks waiting for time to reach them. */
  readonly pending: number;
  /** When the earliest waiting task is due, if any. */
  nextDueAt(): number | undefined;
}

interface DueTask {
  dueMs: number;
  seq: number;
  task: () => unknown;
}

export function createDrivenClock(start: number | Date | string = Date.now()): DrivenClock {
  let now = instant(start);
  let seq = 0;
  const queue: DueTask[] = [];
  const tracked = new Set<Promise<unknown>>();

  const at = (dueMs: number, task: () => unknown): Timer => {
    const entry: DueTask = { dueMs, seq: seq++, task };
    queue.push(entry);
    return {
      cancel: () => {
        const index = queue.indexOf(entry);
        if (index >= 0) queue.splice(index, 1);
      },
    };
  };

  const takeNextDueBy = (limit: number): DueTask | undefined => {
    let earliest: DueTask | undefined;
    for (const entry of queue) {
      if (entry.dueMs > limit) continue;
      if (
        !earliest ||
        entry.dueMs < earliest.dueMs ||
        (entry.dueMs === earliest.dueMs && entry.seq < earliest.seq)
      ) {
        earliest = entry;
      }
    }
    if (earliest) queue.splice(queue.indexOf(earliest), 1);
    return earliest;
  };

  /** Waits until no tracked work is left (work may track more work as it goes). */
  const drainTracked = async () => {
    while (tracked.size > 0) await Promise.all([...tracked]);
  };

  let advancing = false;
  const runUpTo = async (limit: number) => {
    // Two walks through time at once would interleave their tasks.
    if (advancing) throw new Error('the driven clock is already being advanced: await that first');
    advancing = true;
    try {
      await drainTracked();
      for (let due = takeNextDueBy(limit); due; due = takeNextDueBy(limit)) {
        // An overdue task runs at the current time: time never goes back.
        now = Math.max(now, due.dueMs);
        await due.task();
        await drainTracked();
      }
      now = Math.max(now, limit);
    } finally {
      advancing = false;
    }
  };

  const clock = Object.assign(() => now, {
    now: () => now,
    at,
    after: (delayMs: number, task: () => unknown) => at(now + delayMs, task),
    sleep: (delayMs: number, signal?: AbortSignal) => sleepOn(clock, delayMs, signal),
    track: <T>(work: Promise<T>): Promise<T> => {
      const settled = work.then(
        () => {},
        () => {},
      );
      tracked.add(settled);
      void settled.then(() => tracked.delete(settled));
      return work;
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
    nextDueAt: () =>
      queue.length === 0 ? undefined : Math.min(...queue.map((entry) => entry.dueMs)),
  });
  // A getter (Object.assign would copy its value once).
  Object.defineProperty(clock, 'pending', { get: () => queue.length });
  return clock as DrivenClock;
}

function instant(value: number | Date | string): number {
  const ms =
    typeof value === 'number' ? value : value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) throw new RangeError(`not an instant: ${String(value)}`);
  return ms;
}
