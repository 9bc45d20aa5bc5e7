/**
 * Faults the Lambda host injects into invocations, for the fault suite
 * (npm run chaos): an execution environment that crashes mid-invocation, or
 * an invocation that times out. The functions' code knows nothing of it.
 *
 * The plan is a JSON file, re-read twice a second, so a running runtime's
 * faults can change from outside: `{ "<function>": { "crash": 0.01,
 * "timeout": 0.01 } }` (probabilities per invocation; `"*"` for every
 * function).
 */
import { readFile } from 'node:fs/promises';

export interface FunctionFaults {
  /** Probability that the environment crashes during the invocation. */
  crash?: number;
  /** Probability that the invocation times out. */
  timeout?: number;
}

export type FaultPlan = Record<string, FunctionFaults>;

export type InjectedFault = 'crash' | 'timeout';

/** Which fault, if any, one invocation of `fn` gets. `roll` is uniform in [0, 1). */
export function pickFault(
  plan: FaultPlan | undefined,
  fn: string,
  roll: number,
): InjectedFault | undefined {
  const faults = plan?.[fn] ?? plan?.['*'];
  if (!faults) return undefined;
  const crash = faults.crash ?? 0;
  if (roll < crash) return 'crash';
  if (roll < crash + (faults.timeout ?? 0)) return 'timeout';
  return undefined;
}

/** Follows a plan file; a missing or malformed file means no faults. */
export class FaultPlanFile {
  private plan: FaultPlan | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    intervalMs = 500,
  ) {
    this.timer = setInterval(() => void this.reload(), intervalMs);
    this.timer.unref();
    void this.reload();
  }

  current(): FaultPlan | undefined {
    return this.plan;
  }

  async reload(): Promise<void> {
    try {
      this.plan = JSON.parse(await readFile(this.file, 'utf8')) as FaultPlan;
    } catch {
      this.plan = undefined;
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
