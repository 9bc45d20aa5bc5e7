/**
 * The fault schedule: when each fault happens within the production window,
 * drawn from a seed so that a run can be repeated.
 */
import { mulberry32 } from '../../lambdas/shared/sources/sim.ts';
import type { ChaosOptions } from './options.ts';

export type FaultKind =
  | 'runtime-kill'
  | 'postgres-crash'
  | 'kinesis-restart'
  | 'reshard-up'
  | 'reshard-down'
  | 'function-storm'
  | 'coinbase-fault';

export interface PlannedFault {
  /** Seconds after production starts. */
  at: number;
  kind: FaultKind;
  /** The consumer of a function storm, the behaviour of a Coinbase fault. */
  target?: string;
}

const STORM_TARGETS = ['RealtimeConsumer', 'BatchConsumer'];
const COINBASE_BEHAVIOURS = ['429', '500', 'hang'];

/**
 * Spreads the faults over [5 % , 90 %] of the production window: kinds
 * interleaved, each at a random time within its own slot, so faults of a
 * kind do not bunch up (the kinesis-local restarts, which take up to 30 s,
 * are kept apart from each other).
 */
export function planFaults(options: ChaosOptions, productionSeconds: number): PlannedFault[] {
  const random = mulberry32(options.seed);
  const faults: PlannedFault[] = [];
  const spread = (
    kind: FaultKind,
    count: number,
    target?: (i: number) => string,
    within = 0.85,
  ) => {
    const start = productionSeconds * 0.05;
    const slot = (productionSeconds * within) / Math.max(1, count);
    for (let i = 0; i < count; i++) {
      const at = start + slot * i + random() * slot * 0.8;
      faults.push({ at: Math.round(at * 10) / 10, kind, ...(target ? { target: target(i) } : {}) });
    }
  };
  spread('runtime-kill', options.runtimeKills);
  spread('postgres-crash', options.postgresCrashes);
  // A restart takes up to 30 s (kinesis-local waits for its clients to go):
  // in the first half, so the last one is over before the drain.
  spread('kinesis-restart', options.kinesisRestarts, undefined, 0.45);
  // Storms in the second half, after the restarts: with records flowing.
  const storms = spreadWithin(random, options.functionStorms, productionSeconds, 0.55, 0.9);
  for (const [i, at] of storms.entries()) {
    faults.push({
      at,
      kind: 'function-storm',
      target: STORM_TARGETS[i % STORM_TARGETS.length] as string,
    });
  }
  spread(
    'coinbase-fault',
    options.coinbaseFaults,
    (i) => COINBASE_BEHAVIOURS[i % COINBASE_BEHAVIOURS.length] as string,
  );
  // Reshards alternate up and down, in order.
  const reshardSlot = (productionSeconds * 0.85) / Math.max(1, options.reshards);
  for (let i = 0; i < options.reshards; i++) {
    const at = productionSeconds * 0.05 + reshardSlot * i + random() * reshardSlot * 0.8;
    faults.push({
      at: Math.round(at * 10) / 10,
      kind: i % 2 === 0 ? 'reshard-up' : 'reshard-down',
    });
  }
  return faults.sort((a, b) => a.at - b.at);
}

/** `count` times in [from, to] of the window, one at random in each equal slot. */
function spreadWithin(
  random: () => number,
  count: number,
  productionSeconds: number,
  from: number,
  to: number,
): number[] {
  const slot = ((to - from) * productionSeconds) / Math.max(1, count);
  return Array.from(
    { length: count },
    (_, i) => Math.round((from * productionSeconds + slot * i + random() * slot * 0.8) * 10) / 10,
  );
}
