/**
 * The settings of a sweep and the cloud assemblies they run on. Each batched
 * setting needs its own synthesized stack (the window and batch size are
 * template properties); the per-record settings ride on those assemblies,
 * since a setting runs only its own consumer's mapping.
 */
import type { ConsumerName } from '../../lambdas/shared/silver-store.ts';
import type { OfferedLoad, RealtimeMode, StudyOptions } from './options.ts';

/** The stack's per-record mapping: one record per invocation, no window. */
export const REALTIME_BATCH = { batchingWindowSeconds: 0, batchSize: 1 } as const;

export interface AssemblySpec {
  key: string;
  batchingWindowSeconds: number;
  batchSize: number;
  /** The per-record consumer reads through a registered consumer (enhanced fan-out). */
  enhancedFanOut: boolean;
}

export interface SettingSpec {
  /** e.g. `batch w5 b100 @100/s`. */
  id: string;
  consumer: ConsumerName;
  /** How the consumer's mapping reads: standard polling, or enhanced fan-out. */
  mode: RealtimeMode;
  batchingWindowSeconds: number;
  batchSize: number;
  load: OfferedLoad;
  /** Records/s offered (the original load: symbols every 10 s). */
  offeredPerSecond: number;
  loadSeconds: number;
  assembly: string;
}

export interface Sweep {
  assemblies: AssemblySpec[];
  settings: SettingSpec[];
}

const assemblyKey = (window: number, size: number, efo: boolean) =>
  `w${window}-b${size}${efo ? '-efo' : ''}`;

export function planSweep(options: StudyOptions, symbols: number): Sweep {
  const assemblies = new Map<string, AssemblySpec>();
  const add = (window: number, size: number, efo: boolean) => {
    const key = assemblyKey(window, size, efo);
    assemblies.set(key, {
      key,
      batchingWindowSeconds: window,
      batchSize: size,
      enhancedFanOut: efo,
    });
    return key;
  };
  const batched = options.windows.flatMap((window) =>
    options.sizes.map((size) => ({ window, size })),
  );
  // The per-record settings take the first batched assembly (standard) and
  // the last one with enhanced fan-out switched on; alone, the stack's defaults.
  const first = batched[0] ?? { window: 15, size: 1000 };
  const last = batched.at(-1) ?? first;
  const efoShares = options.modes.includes('efo') && batched.length > 1;
  const batchAssembly = batched.map(({ window, size }, i) =>
    add(window, size, efoShares && i === batched.length - 1),
  );
  const realtimeAssembly: Record<RealtimeMode, string> = {
    standard: assemblyKey(first.window, first.size, false),
    efo: assemblyKey(last.window, last.size, true),
  };
  for (const mode of options.modes) {
    const key = realtimeAssembly[mode];
    if (!assemblies.has(key))
      add(
        mode === 'efo' ? last.window : first.window,
        mode === 'efo' ? last.size : first.size,
        mode === 'efo',
      );
  }

  const settings: SettingSpec[] = [];
  for (const load of options.loads) {
    const offeredPerSecond = load === 'original' ? symbols / 10 : load;
    const loadSeconds = load === 'original' ? options.originalSeconds : options.rateSeconds;
    const at = load === 'original' ? 'original' : `${load}/s`;
    for (const mode of options.modes) {
      settings.push({
        id: `realtime ${mode} @${at}`,
        consumer: 'realtime',
        mode,
        ...REALTIME_BATCH,
        load,
        offeredPerSecond,
        loadSeconds,
        assembly: realtimeAssembly[mode],
      });
    }
    batched.forEach(({ window, size }, i) => {
      settings.push({
        id: `batch w${window} b${size} @${at}`,
        consumer: 'batch',
        mode: 'standard',
        batchingWindowSeconds: window,
        batchSize: size,
        load,
        offeredPerSecond,
        loadSeconds,
        assembly: batchAssembly[i] as string,
      });
    });
  }
  // In the order the settings first need them, so a pipelined run can start early.
  const order = [...new Set(settings.map((s) => s.assembly))];
  return { assemblies: order.map((key) => assemblies.get(key) as AssemblySpec), settings };
}
