/**
 * The dashboard's "run now" buttons: one per schedule rule of the stack (the
 * fetch and the two rollups), each firing its rule as `npm run fire` does,
 * with how its last run went.
 */
import { type Clock, systemClock } from '../../lambdas/shared/clock.ts';
import type { LocalRuntime } from '../runtime.ts';
import type { DashboardActions } from './server.ts';

interface LastRun {
  startedAt: string;
  state: 'running' | 'succeeded' | 'failed';
  finishedAt?: string;
  message?: string;
}

export type ActionsRuntime = Pick<LocalRuntime, 'schedules' | 'fire' | 'model'>;

export function scheduleActions(
  runtime: ActionsRuntime,
  clock: Clock = systemClock,
): DashboardActions {
  const lastRuns = new Map<string, LastRun>();
  const functionName = (logicalId: string) =>
    runtime.model.functions.find((f) => f.logicalId === logicalId)?.displayName ?? logicalId;
  const rules = () => runtime.schedules(3).filter((s) => s.rule.targets.length > 0);
  const iso = () => new Date(clock()).toISOString();

  return {
    list: () =>
      rules().map(({ rule, nextFirings, notRunBecause }) => ({
        id: rule.displayName,
        expression: rule.scheduleExpression,
        targets: rule.targets.map((t) => functionName(t.functionLogicalId)),
        next: nextFirings.map((d) => d.toISOString()),
        notRunBecause: notRunBecause ?? null,
        last: lastRuns.get(rule.displayName) ?? null,
      })),
    fire: (id) => {
      if (!rules().some((s) => s.rule.displayName === id)) return false;
      const fired = runtime.fire(id);
      const run: LastRun = { startedAt: iso(), state: 'running' };
      lastRuns.set(id, run);
      void Promise.allSettled(fired.map((t) => t.result)).then((outcomes) => {
        const failed = outcomes.find((o) => o.status === 'rejected');
        run.state = failed ? 'failed' : 'succeeded';
        run.finishedAt = iso();
        if (failed) {
          const reason = failed.reason as Error;
          run.message = `${reason?.name ?? 'Error'}: ${reason?.message ?? String(reason)}`;
        }
      });
      return {
        rule: id,
        targets: fired.map((t) => functionName(t.functionLogicalId)),
        startedAt: run.startedAt,
      };
    },
  };
}
