/**
 * cdk-nag's AwsSolutions pack (cdk-nag 3, a CDK validation plugin) over the
 * whole app in each database mode: synthesis fails on any finding that is not
 * acknowledged, and every acknowledgement sits next to its resource with a reason.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { addPricestreamStacks } from '../../cdk/app-stacks.ts';
import { parseConfig } from '../../cdk/config.ts';
import { EXTERNAL, EXTERNAL_IN_VPC, FEATURE_FLAGS, LOCALSTACK } from './synth.ts';

interface Report {
  pluginReports: Array<{
    violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }>;
  }>;
}

/** The unacknowledged findings, as `rule at construct path`; empty when synthesis succeeds. */
function findings(raw: Record<string, unknown>): string[] {
  const outdir = mkdtempSync(path.join(tmpdir(), 'pricestream-nag-'));
  try {
    const app = new App({ outdir, context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] } });
    addPricestreamStacks(app, parseConfig(raw));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      app.synth();
      return [];
    } catch {
      const report = JSON.parse(
        readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'),
      ) as Report;
      return report.pluginReports.flatMap((r) =>
        r.violations.flatMap((v) =>
          v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`),
        ),
      );
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['Aurora behind the proxy (the default)', {}],
    ['Aurora with IAM authentication straight to the cluster', { database: { proxy: false } }],
    [
      'Aurora without deletion protection, with an alarm email',
      { database: { deletionProtection: false }, alarmEmail: 'ops@example.com' },
    ],
    ['an external database', EXTERNAL],
    ['LocalStack', LOCALSTACK],
    [
      'enhanced fan-out and the Timestream mirror (external database)',
      { ...EXTERNAL, realtime: { enhancedFanOut: true }, timestream: { enabled: true } },
    ],
    ['an external database in a VPC, its secret under a customer managed key', EXTERNAL_IN_VPC],
  ])('finds nothing unacknowledged: %s', (_name, raw) => {
    expect(findings(raw)).toEqual([]);
  });
});
