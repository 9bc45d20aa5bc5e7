import { CONSUMERS, type ReportSettings } from '../shared/compare-report.ts';
import { sharedPool } from '../shared/db.ts';
import { intEnv } from '../shared/env.ts';
import { createHandler } from './handler.ts';

export type { CompareAnswer } from './handler.ts';

/** The stack's configuration of the consumers, as the stack sets it. */
export function settingsFromEnv(env = process.env): ReportSettings {
  const windows = Object.fromEntries(
    CONSUMERS.map((consumer) => [
      consumer,
      intEnv(`${consumer.toUpperCase()}_BATCHING_WINDOW_SECONDS`, undefined, env),
    ]),
  ) as ReportSettings['batchingWindowSeconds'];
  return { batchingWindowSeconds: windows };
}

export const handler = createHandler({ pool: sharedPool, settings: settingsFromEnv() });
