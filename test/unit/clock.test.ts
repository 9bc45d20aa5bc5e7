import { describe, expect, it } from 'vitest';
import {
  isTimerClock,
  realTimerClock,
  systemTimerClock,
  timerClockOf,
} from '../../lambdas/shared/clock.ts';
import { createDrivenClock } from '../../local/shared/driven-clock.ts';

const T0 = Date.parse('2026-03-31T23:00:00Z');

describe('createDrivenClock', () => {
  it('stands still until advanced, then runs each due task at its own due time, earliest first', async () => {
    const clock = createDrivenClock(T0);
    const ran: Array<[string, number]> = [];
    clock.at(T0 + 3_000, () => ran.push(['c', clock() - T0]));
    clock.at(T0 + 1_000, () => ran.push(['a', clock.now() - T0]));
    clock.after(1_000, () => ran.push(['b (same instant, set later)', clock() - T0]));
    clock.at(T0 + 9_000, () => ran.push(['later', clock() - T0]));

    expect(clock()).toBe(T0);
    await clock.advanceBy(5_000);

    expect(ran).toEqual([
      ['a', 1_000],
      ['b (same instant, set later)', 1_000],
      ['c', 3_000],
    ]);
    expect(clock() - T0).toBe(5_000);
    expect(clock.pending).toBe(1);
    expect(clock.nextDueAt()).toBe(T0 + 9_000);
  });

  it("finishes a task's promise and the work it tracked before the next task", async () => {
    const clock = createDrivenClock(T0);
    const order: string[] = [];
    const slowly = async (what: string) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push(what);
    };
    clock.at(T0 + 1, async () => {
      order.push('first starts');
      await slowly('first returned');
    });
    clock.at(T0 + 1, () => {
      order.push('second starts');
      // Not returned: tracked instead, as the scheduler does with invocations.
      clock.track(slowly('second tracked'));
    });
    clock.at(T0 + 2, () => order.push('third'));

    await clock.advanceBy(10);

    expect(order).toEqual([
      'first starts',
      'first returned',
      'second starts',
      'second tracked',
      'third',
    ]);
  });

  it('runs follow-up tasks that fall due within the advance, and keeps the rest', async () => {
    const clock = createDrivenClock(T0);
    const ticks: number[] = [];
    const tick = () => {
      ticks.push((clock() - T0) / 1000);
      clock.after(1_000, tick);
    };
    clock.after(1_000, tick);

    await clock.advanceBy(3_500);

    expect(ticks).toEqual([1, 2, 3]);
    expect(clock.nextDueAt()).toBe(T0 + 4_000);
  });

  it('stops at a failing task: the error is thrown, the clock stays at its due time, later tasks wait', async () => {
    const clock = createDrivenClock(T0);
    let laterRan = false;
    clock.at(T0 + 1_000, () => {
      throw new Error('boom');
    });
    clock.at(T0 + 2_000, () => {
      laterRan = true;
    });

    await expect(clock.advanceBy(5_000)).rejects.toThrow('boom');

    expect(clock() - T0).toBe(1_000);
    expect(laterRan).toBe(false);
    await clock.advanceBy(5_000);
    expect(laterRan).toBe(true);
  });

  it('sleeps on driven time, ends a sleep on abort, and forgets a cancelled task', async () => {
    const clock = createDrivenClock(T0);
    let woke = false;
    const sleeping = clock.sleep(60_000).then(() => {
      woke = true;
    });
    const abort = new AbortController();
    const aborted = clock.sleep(60_000, abort.signal);
    const cancelled = clock.after(1, () => {
      throw new Error('cancelled task ran');
    });
    cancelled.cancel();

    await clock.advanceBy(59_999);
    expect(woke).toBe(false);
    abort.abort(new Error('stopping'));
    await expect(aborted).rejects.toThrow('stopping');
    await clock.advanceBy(1);
    await sleeping;

    expect(woke).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('refuses a second advance while one is under way (a task must not advance its own clock)', async () => {
    const clock = createDrivenClock(T0);
    let inner: Promise<void> | undefined;
    clock.after(1_000, () => {
      inner = clock.advanceBy(1_000);
      inner.catch(() => {});
    });

    await clock.advanceBy(2_000);

    await expect(inner).rejects.toThrow('the driven clock is already being advanced');
    expect(clock() - T0).toBe(2_000);
  });

  it('runs what is already due on settle(), and refuses to go back', async () => {
    const clock = createDrivenClock('2026-03-31T23:00:00Z');
    let ran = 0;
    clock.at(T0, () => ran++);

    await clock.settle();
    await expect(clock.advanceBy(-1)).rejects.toThrow('advanceBy takes a duration ≥ 0 ms, got -1');
    await clock.advanceTo(T0 - 60_000);

    expect(ran).toBe(1);
    expect(clock()).toBe(T0);
  });
});

describe('createDrivenClock with tasks that sleep on it', () => {
  const real = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('waits for a looping task until it sleeps, and for each step after it wakes', async () => {
    const clock = createDrivenClock(T0);
    const polls: number[] = [];
    clock.at(T0, async () => {
      for (;;) {
        await real(2); // a poll that takes real time
        polls.push(clock() - T0);
        await clock.sleep(1_000);
      }
    });

    await clock.settle();
    expect(polls).toEqual([0]);
    await clock.advanceBy(2_500);
    expect(polls).toEqual([0, 1_000, 2_000]);
  });

  it('runs the lines of work of all() as tasks, and goes on with the caller once all are done; never waits for background work', async () => {
    const clock = createDrivenClock(T0);
    const seen: string[] = [];
    const retry = (name: string, delayMs: number) => async () => {
      await clock.sleep(delayMs);
      await real(2);
      seen.push(`${name} at ${clock() - T0}`);
      return name;
    };
    // Released only at the end: an advance that waited for the background work would hang.
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    clock.at(T0, async () => {
      clock.background(async () => {
        await clock.sleep(100);
        await gate;
        seen.push('background');
      });
      const done = await clock.all([retry('a', 100), retry('b', 300)]);
      seen.push(`${done.join('+')} done at ${clock() - T0}`);
      await clock.sleep(1_000);
      seen.push('next');
    });

    await clock.advanceBy(200);
    expect(seen).toEqual(['a at 100']);
    await clock.advanceBy(100);
    expect(seen).toEqual(['a at 100', 'b at 300', 'a+b done at 300']);
    release();
  });

  it('resumes a task at once when what it waits on through all() is ended between advances (a stop)', async () => {
    const clock = createDrivenClock(T0);
    const stop = new AbortController();
    let settled = false;
    const ended = new Promise<string>((resolve) => {
      clock.at(T0, async () => {
        try {
          await clock.all([() => clock.sleep(1_000, stop.signal)]);
          resolve('woke');
        } catch {
          resolve('stopped');
        } finally {
          settled = true;
        }
      });
    });
    await clock.settle();
    const beforeTheStop = settled;

    stop.abort();

    // No advance comes: the stop alone ends it (else this waits until the test times out).
    expect(await ended).toBe('stopped');
    expect(beforeTheStop).toBe(false);
    expect(clock() - T0).toBe(0);
  });

  it('goes on with a task whose lines of work all ended before it takes anything due later', async () => {
    const clock = createDrivenClock(T0);
    const seen: string[] = [];
    clock.at(T0, async () => {
      await clock.all([
        async () => {
          await real(2);
        },
      ]);
      seen.push(`joined at ${clock() - T0}`);
    });
    clock.at(T0 + 100, () => {
      seen.push(`later at ${clock() - T0}`);
    });

    await clock.advanceBy(200);

    expect(seen).toEqual(['joined at 0', 'later at 100']);
  });

  it('throws from the advance a task that fails after it slept, with the clock at its wake-up', async () => {
    const clock = createDrivenClock(T0);
    clock.at(T0, async () => {
      await clock.sleep(1_000);
      throw new Error('failed on retry');
    });

    await expect(clock.advanceBy(5_000)).rejects.toThrow('failed on retry');
    expect(clock() - T0).toBe(1_000);
  });

  it('run() drives work started from outside until it settles, and says when it never will', async () => {
    const clock = createDrivenClock(T0);
    let attempts = 0;
    const retried = await clock.run(async () => {
      while (++attempts < 4) await clock.sleep(attempts * 1_000);
      return attempts;
    });

    expect(retried).toBe(4);
    expect(clock() - T0).toBe(6_000);
    await expect(clock.run(() => clock.sleep(2 * 3_600_000))).rejects.toThrow(
      'did not settle within 3600000 ms of clock time',
    );
    await expect(clock.run(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
  });

  it('reads system times as what it read then, and back', async () => {
    const before = Date.now() - 10_000;
    const clock = createDrivenClock('2026-03-31T23:00:00Z');
    const stampedAtStart = Date.now();
    // The system's clock moves on before the driven one does.
    while (Date.now() <= stampedAtStart) await real(1);
    await clock.advanceBy(60_000);
    const stampedLater = Date.now();

    // Before the clock existed it is taken to have run at real speed.
    expect(clock.fromSystemTime(before)).toBeLessThanOrEqual(T0 - 10_000);
    expect(clock.fromSystemTime(before)).toBeGreaterThan(T0 - 20_000);
    expect(clock.fromSystemTime(stampedAtStart)).toBe(T0);
    expect(clock.fromSystemTime(stampedLater)).toBe(T0 + 60_000);
    expect(clock.toSystemTime(T0 + 1)).toBeGreaterThan(stampedAtStart);
    expect(clock.toSystemTime(T0 + 1)).toBeLessThanOrEqual(stampedLater);
    expect(clock.fromSystemTime(clock.toSystemTime(T0 + 1))).toBe(T0 + 60_000);
    expect(clock.toSystemTime(T0 + 60_001)).toBe(Number.POSITIVE_INFINITY);
    expect(systemTimerClock.fromSystemTime(stampedLater)).toBe(stampedLater);
  });
});

describe('real timers', () => {
  it('wait for the clock they read: a clock running ahead fires when it reaches the due time', async () => {
    const ahead = 3_600_000;
    const clock = realTimerClock(() => Date.now() + ahead);
    const due = clock() + 30;

    const firedAt = await new Promise<number>((resolve) => clock.at(due, () => resolve(clock())));

    expect(firedAt).toBeGreaterThanOrEqual(due);
    expect(clock.driven).toBe(false);
  });

  it('do not run a cancelled task, and sleep until the delay has passed', async () => {
    let ran = false;
    systemTimerClock
      .after(1, () => {
        ran = true;
      })
      .cancel();
    const before = Date.now();

    await systemTimerClock.sleep(20);

    expect(Date.now() - before).toBeGreaterThanOrEqual(19);
    expect(ran).toBe(false);
  });

  it('timerClockOf keeps a TimerClock and gives a plain clock real timers', () => {
    const driven = createDrivenClock(T0);
    const plain = () => T0;

    expect(timerClockOf(driven)).toBe(driven);
    expect(timerClockOf(undefined)).toBe(systemTimerClock);
    expect(isTimerClock(plain)).toBe(false);
    expect(timerClockOf(plain)()).toBe(T0);
  });
});
