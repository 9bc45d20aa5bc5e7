/**
 * EventBridge schedule rules: each enabled rule with a rate(...) or cron(...)
 * expression invokes its target functions asynchronously (a slow invocation
 * does not delay the next one, as with EventBridge) at every occurrence, on
 * the runtime's clock.
 *
 * A rule is armed at its next occurrence and, when that falls due, armed at
 * the one after the due instant (not after an interval from whenever the timer
 * woke), so firings never drift. cron rules first fire at their next matching
 * minute (UTC), as on AWS. rate rules first fire one period after start on
 * AWS; the runtime fires them at start by default (`rateStart: 'now'`) so a
 * new pipeline's first data comes at once.
 */
import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import {
  nextFirings,
  parseScheduleExpression,
  type ScheduleExpression,
} from '../../cdk/schedule-expression.ts';
import {
  type Clock,
  type Timer,
  type TimerClock,
  timerClockOf,
} from '../../lambdas/shared/clock.ts';
import type { ScheduleRuleModel } from '../assembly/stack-model.ts';
import type { RuntimeEvents } from '../shared/runtime-events.ts';

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

/** What a target of `rule` receives when it fires at `at`: its Input, or a ScheduledEvent. */
export function targetEvent(
  rule: ScheduleRuleModel,
  target: ScheduleRuleModel['targets'][number],
  where: { region: string; account: string },
  at: Date,
): unknown {
  return target.input ?? scheduledEvent(rule, where, at);
}

/** When rate() rules first fire: at start (`now`) or one period after it, as on AWS (`period`). */
export type RateStart = 'now' | 'period';

export interface SchedulerDeps {
  rules: readonly ScheduleRuleModel[];
  region: string;
  account: string;
  /** Fires the target; the scheduler does not wait for the result (a driven clock does). */
  invoke(functionLogicalId: string, event: unknown): Promise<unknown>;
  events: RuntimeEvents;
  /** Multiplies the periods of rate() rules: 0.001 turns a minute into 60 ms (tests). Default 1. */
  timeScale?: number;
  /** Leaves out targets this returns false for (e.g. a benchmark that injects its own load). */
  include?: (rule: ScheduleRuleModel, functionLogicalId: string) => boolean;
  /** What the schedules run on. Default the system clock with real timers. */
  clock?: Clock | TimerClock;
  /** Default `now`. */
  rateStart?: RateStart;
}

/** A rule as the scheduler runs it (or why it does not). */
export interface ScheduledRule {
  rule: ScheduleRuleModel;
  /** Undefined when the rule is not run; see `notRunBecause`. */
  nextFirings: Date[];
  notRunBecause: string | undefined;
}

/** One target invoked by fire(). */
export interface FiredTarget {
  rule: string;
  functionLogicalId: string;
  event: unknown;
  /** Settles with the function's result or error. */
  result: Promise<unknown>;
}

export class UnknownRuleError extends Error {
  override name = 'UnknownRuleError';
}

interface ArmedRule {
  rule: ScheduleRuleModel;
  schedule: ScheduleExpression;
  targets: ScheduleRuleModel['targets'];
  nextDue: number;
  timer: Timer | undefined;
}

export class Scheduler {
  private readonly clock: TimerClock;
  private readonly armed = new Map<ScheduleRuleModel, ArmedRule>();
  private readonly notRun = new Map<ScheduleRuleModel, string>();
  private stopped = false;

  constructor(private readonly deps: SchedulerDeps) {
    this.clock = timerClockOf(deps.clock);
  }

  start(): void {
    const { deps } = this;
    const startMs = this.clock.now();
    for (const rule of deps.rules) {
      if (!rule.enabled) {
        this.notRun.set(rule, 'disabled in the template');
        continue;
      }
      let schedule: ScheduleExpression;
      try {
        schedule = parseScheduleExpression(rule.scheduleExpression);
      } catch (error) {
        const reason = (error as Error).message;
        this.notRun.set(rule, reason);
        deps.events.notice('warn', rule.displayName, `${reason}; rule not run`);
        continue;
      }
      for (const other of rule.otherTargets) {
        deps.events.notice(
          'warn',
          rule.displayName,
          `target ${other} is not a function of this stack; skipped`,
        );
      }
      const targets = rule.targets.filter(
        (target) => deps.include?.(rule, target.functionLogicalId) ?? true,
      );
      if (targets.length === 0) {
        this.notRun.set(rule, 'its targets are not run here (schedules off, or not run locally)');
        continue;
      }
      const first =
        schedule.kind === 'rate'
          ? startMs + ((deps.rateStart ?? 'now') === 'now' ? 0 : this.periodMs(schedule))
          : schedule.nextAfter(startMs);
      if (first === undefined) {
        this.notRun.set(rule, 'it has no future firing');
        continue;
      }
      const armed: ArmedRule = { rule, schedule, targets, nextDue: first, timer: undefined };
      this.armed.set(rule, armed);
      this.arm(armed, first);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const armed of this.armed.values()) armed.timer?.cancel();
  }

  /** Every rule of the stack, with its next `count` firings when it runs. */
  rules(count = 3): ScheduledRule[] {
    return this.deps.rules.map((rule) => {
      const armed = this.armed.get(rule);
      if (!armed) {
        return { rule, nextFirings: [], notRunBecause: this.notRun.get(rule) ?? 'not started' };
      }
      const times = [armed.nextDue, ...this.following(armed, armed.nextDue, count - 1)];
      return {
        rule,
        nextFirings: times.slice(0, count).map((t) => new Date(t)),
        notRunBecause: undefined,
      };
    });
  }

  /**
   * Fires a rule now, outside its schedule, with what its targets would get
   * (their Input, or a ScheduledEvent of now), whatever the rule's state. The
   * rule is named by its short name, logical id, name or ARN.
   */
  fire(name: string): FiredTarget[] {
    const rule = findRule(this.deps.rules, name);
    const at = new Date(this.clock.now());
    return rule.targets.map((target) => {
      const event = targetEvent(rule, target, this.deps, at);
      return {
        rule: rule.displayName,
        functionLogicalId: target.functionLogicalId,
        event,
        result: this.clock.track(this.deps.invoke(target.functionLogicalId, event)),
      };
    });
  }

  private periodMs(schedule: ScheduleExpression & { kind: 'rate' }): number {
    return Math.max(1, Math.round(schedule.periodMs * (this.deps.timeScale ?? 1)));
  }

  /** The `count` firings after `afterMs`. */
  private following(armed: ArmedRule, afterMs: number, count: number): number[] {
    const { schedule } = armed;
    if (schedule.kind === 'cron') return nextFirings(schedule, afterMs, count);
    const period = this.periodMs(schedule);
    return Array.from({ length: Math.max(0, count) }, (_, i) => afterMs + (i + 1) * period);
  }

  private arm(armed: ArmedRule, due: number): void {
    armed.nextDue = due;
    armed.timer = this.clock.at(due, () => this.occur(armed, due));
  }

  /** One occurrence: arm the next from the due instant, then invoke the targets. */
  private occur(armed: ArmedRule, due: number): Promise<unknown> {
    if (this.stopped) return Promise.resolve();
    let [next] = this.following(armed, due, 1);
    // Occurrences that passed while the process could not run (a laptop
    // asleep) are not made up in a burst: EventBridge would not either.
    let missed = 0;
    const now = this.clock.now();
    while (next !== undefined && next < now) {
      missed++;
      [next] = this.following(armed, next, 1);
    }
    if (missed > 0) {
      this.deps.events.notice(
        'warn',
        armed.rule.displayName,
        `${missed} firing${missed === 1 ? '' : 's'} missed while the runtime could not run`,
      );
    }
    if (next !== undefined) this.arm(armed, next);
    const at = new Date(due);
    const invocations = armed.targets.map((target) =>
      this.deps
        .invoke(target.functionLogicalId, targetEvent(armed.rule, target, this.deps, at))
        // Failures are reported by the Lambda host; EventBridge does not wait either.
        .catch(() => {}),
    );
    // The system clock does not wait; a driven one lets them finish first.
    return this.clock.track(Promise.all(invocations));
  }
}

/** A rule by short name, logical id, name or ARN; an unknown one lists the rules there are. */
export function findRule(rules: readonly ScheduleRuleModel[], name: string): ScheduleRuleModel {
  const rule = rules.find(
    (r) => r.displayName === name || r.logicalId === name || r.name === name || r.arn === name,
  );
  if (!rule) {
    throw new UnknownRuleError(
      `no schedule rule ${JSON.stringify(name)} in this stack; the rules are ${rules.map((r) => r.displayName).join(', ') || 'none'}`,
    );
  }
  return rule;
}
