/**
 * npm run compare: the realtime and batch consumers side by side over a window
 * of silver.prices. See `npm run compare -- --help`.
 */
import { parseArgs } from 'node:util';
import { LOCAL_DATABASE_URL } from '../lambdas/shared/db.ts';
import { compareConsumers, totalRecords } from './report/compare.ts';
import { serverOf } from './report/database-errors.ts';
import { renderReport } from './report/render.ts';
import { EXIT, inSnapshot } from './report/snapshot.ts';
import { type Bound, checkBounds, parseBound, WindowError } from './report/window.ts';

const USAGE = `Usage: npm run compare -- [--since 5m] [--until now] [--json]

Compares the realtime (per-record) and batch (batching-window) consumers over
the rows of silver.prices whose processed_at falls in [since, until).

  --since <t>   window start: a duration before now (30s, 5m, 2h, 1d) or an
                ISO time (2026-05-01T12:00:00Z; UTC unless it has an offset).
                Default 5m.
  --until <t>   window end, same forms, or "now". Default now.
  --json        print the report as JSON (shape: version 1, see README).
  -h, --help    show this help.

Durations are measured from the database's clock. Percentiles use
PostgreSQL percentile_cont (interpolated). Database: DATABASE_URL, else
${LOCAL_DATABASE_URL} (set DATABASE_SSL=require for TLS).

Exit codes: 0 report printed; 1 no rows in the window; 2 bad arguments;
3 PostgreSQL unreachable or refused the login; 4 silver.prices missing
(not migrated); 5 a report query failed.`;

interface Options {
  since: Bound;
  until: Bound;
  json: boolean;
}

class UsageError extends Error {
  override name = 'UsageError';
}

function parseOptions(argv: string[]): Options | 'help' {
  let values: { since?: string; until?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const since = parseBound('--since', values.since ?? '5m');
  const until = parseBound('--until', values.until ?? 'now');
  checkBounds(since, until);
  return { since, until, json: values.json ?? false };
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

  const outcome = await inSnapshot((client) => compareConsumers(client, options));
  if (!outcome.ok) {
    process.stderr.write(`${outcome.message}\n`);
    return outcome.exitCode;
  }
  const { value: report, databaseUrl } = outcome;

  if (totalRecords(report) === 0) {
    process.stderr.write(
      `No rows in silver.prices between ${report.window.since} and ${report.window.until} ` +
        `(${serverOf(databaseUrl).hostPort}): is \`npm start\` running? Try a longer --since.\n`,
    );
    return EXIT.noRows;
  }
  process.stdout.write(
    options.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderReport(report)}\n`,
  );
  return EXIT.ok;
}

process.exitCode = await main(process.argv.slice(2));
