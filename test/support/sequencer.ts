/**
 * The order test files start in: longest first, across projects, so the
 * files that set the suite's length (the e2e pipelines, chaos, soak, the
 * study) start at once and the short ones fill the gaps beside them. A file's
 * length is its time in the last run on this checkout (vitest's results
 * cache), else the estimate below (a fresh clone has no cache), else its
 * project's.
 */
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Seconds, measured on the 2-core development machine; only the order they give matters. */
const ESTIMATES: Record<string, number> = {
  'e2e:test/e2e/crash-only.test.ts': 110,
  'e2e:test/e2e/soak-quick.test.ts': 110,
  'e2e:test/e2e/study-quick.test.ts': 95,
  'e2e:test/e2e/report-browser.test.ts': 90,
  'e2e:test/e2e/chaos-quick.test.ts': 90,
  'e2e:test/e2e/pipeline.test.ts': 60,
  'e2e:test/e2e/bench-quick.test.ts': 60,
  'e2e:test/e2e/database-outage.test.ts': 50,
  'e2e:test/e2e/exit-codes.test.ts': 10,
  'integration:test/integration/local-enhanced-fan-out.test.ts': 27,
  'integration:test/integration/local-kinesis-restarts.test.ts': 14,
  'cdk:test/cdk/synth-context.test.ts': 13,
  'integration:test/integration/local-event-source-mapping.test.ts': 12,
  'cdk:test/cdk/dashboard.test.ts': 12,
  'integration:test/integration/invoke-cli.test.ts': 11,
  'integration:test/integration/reports-aws.test.ts': 11,
};
const PROJECT_ESTIMATES: Record<string, number> = { e2e: 40, integration: 8, cdk: 6, unit: 1 };

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const seconds = (spec: TestSpecification) => {
      const key = `${spec.project.name}:${path.relative(root, spec.moduleId)}`;
      const last = this.ctx.cache.getFileTestResults(key);
      if (last && !last.failed && last.duration > 0) return last.duration / 1000;
      return ESTIMATES[key] ?? PROJECT_ESTIMATES[spec.project.name] ?? 1;
    };
    return [...files].sort((a, b) => seconds(b) - seconds(a));
  }
}
