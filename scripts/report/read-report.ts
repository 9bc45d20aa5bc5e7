/**
 * What `npm run compare` and `npm run report` share: the window options
 * (`--since`, `--until`, `--aws`, `--stage`), checked the same way, and the
 * compare report read locally (one read-only snapshot of DATABASE_URL) or
 * from the deployed stack (its reports function).
 */
import {
  type CompareReport,
  compareConsumers,
  type LatencyCdf,
  latencyCdf,
} from '../../lambdas/shared/compare-report.ts';
import {
  type Bound,
  checkBounds,
  DEFAULT_SINCE,
  parseBound,
} from '../../lambdas/shared/report-window.ts';
import { AwsReportError, awsCompare } from './aws-reports.ts';
import { serverOf } from './database-errors.ts';
import { localReportSettings } from './settings.ts';
import { inSnapshot } from './snapshot.ts';

/** A wrong option or value, said in one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface WindowOptions {
  since: Bound;
  until: Bound;
  /** As given, for --aws: the function parses them again, against the database's clock. */
  sinceText: string | undefined;
  untilText: string | undefined;
  aws: boolean;
  stage: string | undefined;
}

/** The window options from parseArgs values; throws UsageError or WindowError. */
export function windowOptions(values: {
  since?: unknown;
  until?: unknown;
  aws?: unknown;
  stage?: unknown;
}): WindowOptions {
  const sinceText = values.since as string | undefined;
  const untilText = values.until as string | undefined;
  const stage = values.stage as string | undefined;
  const since = sinceText === undefined ? DEFAULT_SINCE : parseBound('--since', sinceText);
  const until = parseBound('--until', untilText ?? 'now');
  checkBounds(since, until);
  if (stage !== undefined && !values.aws) throw new UsageError('--stage goes with --aws');
  if (stage !== undefined && !/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
    throw new UsageError(
      `--stage must be a stage name of lower-case letters, digits and dashes, got ${JSON.stringify(stage)}`,
    );
  }
  return { since, until, sinceText, untilText, aws: values.aws === true, stage };
}

export type ReadOutcome =
  | { ok: true; report: CompareReport; cdf: LatencyCdf[]; where: string }
  | { ok: false; exitCode: number; message: string };

/** The report (and, with `withCdf`, the latency distributions) from where the options say. */
export async function readReport(options: WindowOptions, withCdf: boolean): Promise<ReadOutcome> {
  if (options.aws) {
    try {
      const answer = await awsCompare({
        stage: options.stage,
        request: {
          ...(options.sinceText ? { since: options.sinceText } : {}),
          ...(options.untilText ? { until: options.untilText } : {}),
          ...(withCdf ? { latencyCdf: true } : {}),
        },
      });
      return {
        ok: true,
        report: answer.report,
        cdf: answer.latencyCdf ?? [],
        where: `stack ${answer.stackName}`,
      };
    } catch (error) {
      if (!(error instanceof AwsReportError)) throw error;
      return { ok: false, exitCode: error.exitCode, message: error.message };
    }
  }
  const outcome = await inSnapshot(async (client) => {
    const report = await compareConsumers(client, options, localReportSettings());
    const { since, until } = report.window;
    const cdf = withCdf ? await latencyCdf(client, new Date(since), new Date(until)) : [];
    return { report, cdf };
  });
  if (!outcome.ok) return outcome;
  return { ok: true, ...outcome.value, where: serverOf(outcome.databaseUrl).hostPort };
}
