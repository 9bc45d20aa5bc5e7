/**
 * The consumers' settings a report needs (their batching windows, to tell
 * records in flight from missing ones), from cdk.json's configuration: the
 * one `npm start` synthesizes and runs.
 */
import { readFileSync } from 'node:fs';
import { configFromContext } from '../../cdk/config.ts';
import type { ReportSettings } from '../../lambdas/shared/compare-report.ts';

const CDK_JSON = new URL('../../cdk.json', import.meta.url);

export function localReportSettings(): ReportSettings {
  const { context } = JSON.parse(readFileSync(CDK_JSON, 'utf8')) as {
    context: Record<string, unknown>;
  };
  const config = configFromContext((key) => context[key]);
  return {
    batchingWindowSeconds: {
      realtime: config.realtime.batchingWindowSeconds,
      batch: config.batch.batchingWindowSeconds,
    },
  };
}
