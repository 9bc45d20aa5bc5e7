/**
 * npm run compare: the realtime and batch consumers side by side over a window
 * of silver.prices. See `npm run compare -- --help`.
 */
import { parseArgs } from 'node:util';
import { totalRecords } from '../lambdas/shared/compare-report.ts';
import { LOCAL_DATABASE_URL } from '../lambdas/shared/db.ts';
import { DEFAULT_RANGE_HELP, WindowError } from '../lambdas/shared/report-window.ts';
import { readReport, UsageError, type WindowOptions, windowOptions } from './report/read-report.ts';
import { renderReport } from './report/render.ts';
import { EXIT } from './report/snapshot.ts';

const USAGE = `Usage: npm run compare -- [--since <t>] [--until now] [--json] [--aws [--stage NAME]]

Compares the realtime (per-record) and batch (batching-window) consumers over
the rows of silver.prices whose processed_at falls in [since, until).

  --since <t>   window start: a duration before now (30s, 5m, 2h, 1d) or an
                ISO time (2026-05-01T12:00:00Z; UTC unless it has an offset).
                Default: ${DEFAULT_RANGE_HELP}.
  --until <t>   window end, same forms, or "now". Default now.
  --json        print the report as JSON (shape: version 2, see docs/reports.md).
  --aws         the deployed stack's data, through its reports function
                (found by the stack's ReportsFunctionName output); the SDK's
                usual credentials and region.
  --stage NAME  with --aws: the stage deployed with -c pricestream:stage=NAME.
  -h, --help    show this help.

Durations are measured from the database's clock. Percentiles use
PostgreSQL percentile_cont (interpolated). Times are UTC. Records younger than
their consumer's batching window plus its poll are in flight, never missing;
throughput counts the time the producer was fetching, not idle time.
Database: DATABASE_URL, else ${LOCAL_DATABASE_URL} (set DATABASE_SSL=require for TLS).

Exit codes: 0 report printed; 1 no rows in the window; 2 bad arguments;
3 PostgreSQL (or, with --aws, the stack) unreachable or refused the login;
4 silver.prices missing (not migrated); 5 a report query failed.`;

interface Options extends WindowOptions {
  json: boolean;
}

function parseOptions(argv: string[]): Options | 'help' {
  let values: {
    since?: string;
    until?: string;
    json?: boolean;
    aws?: boolean;
    stage?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        json: { type: 'boolean' },
        aws: { type: 'boolean' },
        stage: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  return { ...windowOptions(values), json: values.json ?? false };
}

async function main(argv: string[]): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof WindowError)) throw error;
    process.stderr.write(`${error.message} (see --help)\n`);
    return EXIT.badArguments;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }

  const read = await readReport(options, false);
  if (!read.ok) {
    process.stderr.write(`${read.message}\n`);
    return read.exitCode;
  }
  const { report, where } = read;

  if (totalRecords(report) === 0) {
    process.stderr.write(
      `No rows in silver.prices between ${report.window.since} and ${report.window.until} ` +
        `(${where}): ${options.aws ? 'is the pipeline running?' : 'is `npm start` running?'} Try a longer --since.\n`,
    );
    return EXIT.noRows;
  }
  process.stdout.write(
    options.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderReport(report)}\n`,
  );
  return EXIT.ok;
}

process.exitCode = await main(process.argv.slice(2));
