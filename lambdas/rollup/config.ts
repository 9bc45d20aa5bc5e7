import { oneOfEnv } from '../shared/env.ts';
import { SOURCE_CONSUMERS } from '../shared/rollup.ts';
import type { ConsumerName } from '../shared/silver-store.ts';

/** The environment variable the stack sets from `rollup.sourceConsumer`. */
export const ROLLUP_SOURCE_CONSUMER = 'ROLLUP_SOURCE_CONSUMER';

export interface RollupConfig {
  /** Whose silver rows feed gold. */
  sourceConsumer: ConsumerName;
}

export function readRollupConfig(
  env: Record<string, string | undefined> = process.env,
): RollupConfig {
  return { sourceConsumer: oneOfEnv(ROLLUP_SOURCE_CONSUMER, SOURCE_CONSUMERS, 'realtime', env) };
}
