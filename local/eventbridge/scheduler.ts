/**
 * EventBridge schedule rules: each enabled rate(...) rule invokes its target
 * functions once at start and then every period, asynchronously (a slow
 * invocation does not delay the next one, as with EventBridge).
 */
import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { type Clock, systemClock } from '../../lambdas/shared/clock.ts';
import type { ScheduleRuleModel } from '../assembly/stack-model.ts';
import type { RuntimeEvents } from '../shared/runtime-events.ts';

export type ParsedSchedule =
  | { kind: 'rate'; periodMs: number }
  | { kind: 'cron'; expression: string }
  | { kind: 'invalid'; reason: string };

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

export function parseScheduleExpression(expression: string): ParsedSchedule {
  const rate = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(
    expression.trim(),
  );
  if (rate) {
    const value = Number(rate[1]);
    const unit = (rate[2] ?? '').replace(/s$/, '') as keyof typeof UNIT_MS;
    if (value <= 0) return { kind: 'invalid', reason: `${expression}: the rate must be positive` };
    return { kind: 'rate', periodMs: value * UNIT_MS[unit] };
  }
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (cron) return { kind: 'cron', expression: cron[1] ?? '' };
  return { kind: 'invalid', reason: `${expression} is not a rate() or cron() expression` };
}

/** The event EventBridge sends for a schedule: `time` to the second, like EventBridge. */
export function scheduledEvent(
  rule: { arn: string },
  where: { region: string; account: string },
  now = new Date(),
): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: where.account,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: where.region,
    resources: [rule.arn],
    detail: {},
  };
}

export interface SchedulerDeps {
  rules: readonly ScheduleRuleModel[];
  region: string;
  account: string;
  /** Fires the target; the scheduler does not wait for the result. */
  invoke(functionLogicalId: string, event: unknown): Promise<unknown>;
  events: RuntimeEvents;
  /** Multiplies every period: 0.001 turns a minute into 60 ms (tests). Default 1. */
  timeScale?: number;
  /** Leaves out targets this returns false for (e.g. a benchmark that injects its own load). */
  include?: (rule: ScheduleRuleModel, functionLogicalId: string) => boolean;
  /** The events' `time`. Default the system clock. */
  clock?: Clock;
}

export class Scheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(private readonly deps: SchedulerDeps) {}

  start(): void {
    const { deps } = this;
    for (const rule of deps.rules) {
      if (!rule.enabled) continue;
      const schedule = parseScheduleExpression(rule.scheduleExpression);
      if (schedule.kind === 'cron') {
        deps.events.notice(
          'warn',
          rule.name,
          `cron(${schedule.expression}) schedules are not supported locally; rule not run`,
        );
        continue;
      }
      if (schedule.kind === 'invalid') {
        deps.events.notice('warn', rule.name, `${schedule.reason}; rule not run`);
        continue;
      }
      for (const other of rule.otherTargets) {
        deps.events.notice(
          'warn',
          rule.name,
          `target ${other} is not a function of this stack; skipped`,
        );
      }
      const targets = rule.targets.filter(
        (target) => deps.include?.(rule, target.functionLogicalId) ?? true,
      );
      if (targets.length === 0) continue;
      const fire = () => {
        if (this.stopped) return;
        for (const target of targets) {
          const event =
            target.input ?? scheduledEvent(rule, deps, new Date((deps.clock ?? systemClock)()));
          // Failures are reported by the Lambda host; EventBridge does not wait either.
          deps.invoke(target.functionLogicalId, event).catch(() => {});
        }
      };
      fire();
      const period = Math.max(1, Math.round(schedule.periodMs * (deps.timeScale ?? 1)));
      this.timers.push(setInterval(fire, period));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
  }
}
