/**
 * Collects metric points while the local runtime runs: the EMF documents the
 * functions print (as CloudWatch Logs would on AWS), and what the runtime
 * measures itself (invocation durations and errors, dead-lettered batches,
 * under the namespace `LocalRuntime`). Points are buffered and written to
 * PostgreSQL about once a second; while the database is away they wait in
 * memory (bounded), and a malformed EMF line is counted and described, never
 * thrown.
 */

import { systemTimerClock, type Timer, type TimerClock } from '../../lambdas/shared/clock.ts';
import type { RuntimeListeners } from '../shared/runtime-events.ts';
import { type MetricPoint, parseEmfLine } from './emf.ts';
import { insertMetricPoints, type Queryable, type StoredPoint } from './metric-store.ts';

export const LOCAL_NAMESPACE = 'LocalRuntime';

export interface LineProblem {
  time: string;
  function: string;
  reason: string;
  /** The start of the line, for recognition. */
  excerpt: string;
}

export interface CollectorStats {
  emfDocuments: number;
  pointsStored: number;
  pending: number;
  /** Points dropped because the buffer was full while the database was away. */
  dropped: number;
  malformedLines: number;
  lastMalformed: LineProblem | undefined;
  /** Documents CloudWatch would take only in part (a metric with no value…). */
  warnings: number;
  lastWarning: LineProblem | undefined;
  lastWriteError: { time: string; message: string } | undefined;
  lastWriteAt: string | undefined;
}

interface Pending extends StoredPoint {
  /** Runtime measurements get the function's service name once it is known. */
  needsService: boolean;
}

export interface CollectorOptions {
  /** Most points held while the database cannot take them. Default 50,000. */
  maxPending?: number;
  /** Flush interval, ms. Default 1000. */
  flushIntervalMs?: number;
  /** What the flushes run on and the runtime's own points are stamped with. Default the system clock. */
  clock?: TimerClock;
}

export class MetricsCollector {
  readonly listeners: RuntimeListeners;
  private pending: Pending[] = [];
  private readonly maxPending: number;
  private readonly flushIntervalMs: number;
  private db: Queryable | undefined;
  private services = new Map<string, string>();
  private readonly clock: TimerClock;
  private timer: Timer | undefined;
  private closed = false;
  private flushing: Promise<void> | undefined;
  private readonly counters: CollectorStats = {
    emfDocuments: 0,
    pointsStored: 0,
    pending: 0,
    dropped: 0,
    malformedLines: 0,
    lastMalformed: undefined,
    warnings: 0,
    lastWarning: undefined,
    lastWriteError: undefined,
    lastWriteAt: undefined,
  };

  constructor(options: CollectorOptions = {}) {
    this.maxPending = options.maxPending ?? 50_000;
    this.flushIntervalMs = options.flushIntervalMs ?? 1_000;
    this.clock = options.clock ?? systemTimerClock;
    this.listeners = {
      log: (entry) => this.acceptLine(entry.function, entry.line, entry.time),
      invocation: (report) => {
        const time = new Date(this.clock.now());
        const failed = report.error ? 1 : 0;
        this.addRuntimePoint(report.function, 'Invocations', 'Count', 1, time);
        this.addRuntimePoint(report.function, 'Errors', 'Count', failed, time);
        this.addRuntimePoint(report.function, 'Duration', 'Milliseconds', report.durationMs, time);
      },
      deadLetter: (report) =>
        this.addRuntimePoint(
          report.function,
          'DeadLetterBatches',
          'Count',
          1,
          new Date(this.clock.now()),
        ),
    };
  }

  /**
   * Starts writing to the database. `functions` maps the runtime's function
   * names to their Powertools service names (the dashboards' dimension).
   */
  attach(
    db: Queryable,
    functions: ReadonlyArray<{ name: string; environment: Readonly<Record<string, string>> }>,
  ): void {
    this.db = db;
    for (const fn of functions) {
      this.services.set(fn.name, fn.environment.POWERTOOLS_SERVICE_NAME ?? fn.name);
    }
    if (!this.timer) this.armFlush();
  }

  /** The next flush, one interval after the last one ended. */
  private armFlush(): void {
    if (this.closed) return;
    this.timer = this.clock.after(this.flushIntervalMs, async () => {
      await this.flush();
      this.armFlush();
    });
  }

  /** Parses one function output line; anything but EMF is ignored. */
  acceptLine(fn: string, line: string, time: Date = new Date(this.clock.now())): void {
    const parsed = parseEmfLine(line);
    if (parsed.kind === 'not-emf') return;
    const problem = (reason: string): LineProblem => ({
      time: time.toISOString(),
      function: fn,
      reason,
      excerpt: line.trim().slice(0, 160),
    });
    if (parsed.kind === 'malformed') {
      this.counters.malformedLines++;
      this.counters.lastMalformed = problem(parsed.reason);
      return;
    }
    this.counters.emfDocuments++;
    if (parsed.warnings.length > 0) {
      this.counters.warnings++;
      this.counters.lastWarning = problem(parsed.warnings.join('; '));
    }
    for (const point of parsed.points) this.push({ ...point, function: fn, needsService: false });
  }

  private addRuntimePoint(
    fn: string,
    metric: string,
    unit: string,
    value: number,
    time: Date,
  ): void {
    const point: MetricPoint = {
      time,
      namespace: LOCAL_NAMESPACE,
      metric,
      unit,
      value,
      dimensions: {},
    };
    this.push({ ...point, function: fn, needsService: true });
  }

  private push(point: Pending): void {
    this.pending.push(point);
    this.trim();
  }

  private trim(): void {
    const excess = this.pending.length - this.maxPending;
    if (excess > 0) {
      this.pending.splice(0, excess);
      this.counters.dropped += excess;
    }
  }

  /** Writes what is pending; on failure keeps it for the next try. Never throws. */
  flush(): Promise<void> {
    this.flushing ??= this.writePending().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    const db = this.db;
    if (!db) return;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, 5_000);
      const points = batch.map(({ needsService, ...point }) =>
        needsService
          ? {
              ...point,
              dimensions: {
                ...point.dimensions,
                service: this.services.get(point.function ?? '') ?? point.function ?? 'unknown',
              },
            }
          : point,
      );
      try {
        await insertMetricPoints(db, points);
      } catch (error) {
        // Back in front, oldest first, for the next try; the cap still holds.
        this.pending.unshift(...batch);
        this.trim();
        this.counters.lastWriteError = {
          time: new Date(this.clock.now()).toISOString(),
          message: (error as Error).message,
        };
        return;
      }
      this.counters.pointsStored += batch.length;
      this.counters.lastWriteAt = new Date(this.clock.now()).toISOString();
      this.counters.lastWriteError = undefined;
    }
  }

  stats(): CollectorStats {
    return { ...this.counters, pending: this.pending.length };
  }

  /** Stops the timer and writes what is left, once. */
  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.flush();
  }
}
