/**
 * npm run report -- --out FILE [--study RESULT.json]: the comparison as one
 * self-contained HTML file, and a PNG of each chart. See --help.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { StudyResult } from '../bench/study/result.ts';
import { totalRecords } from '../lambdas/shared/compare-report.ts';
import { LOCAL_DATABASE_URL } from '../lambdas/shared/db.ts';
import { DEFAULT_RANGE_HELP, WindowError } from '../lambdas/shared/report-window.ts';
import { databaseReportData } from './report/database-data.ts';
import { renderHtml } from './report/html.ts';
import { chartPngs } from './report/png.ts';
import { readReport, UsageError, type WindowOptions, windowOptions } from './report/read-report.ts';
import type { ReportData } from './report/report-data.ts';
import { EXIT } from './report/snapshot.ts';
import { studyReportData } from './report/study-data.ts';

const USAGE = `Usage: npm run report -- --out FILE [--study RESULT.json] [options]

Writes the comparison of the per-record and batched consumers as one HTML
file that opens with no network (charts drawn by uPlot, inlined): the
latency CDF of each consumer, the latency's parts, throughput per minute and
completeness; with --study, also latency against the batching window and
cost per million events against latency, next to the original Flink/Spark
study's figures. Then a PNG of each chart (headless Chromium) for slides.

  --out <file>       the HTML file to write (required)
  --study <file>     a result of npm run study (bench/results/study-*.json):
                     every chart comes from it, no database needed
  --since <t>        without --study: the window of silver.prices, as in
                     npm run compare (30s, 5m, 2h, 1d or an ISO time); default
                     ${DEFAULT_RANGE_HELP}
  --until <t>        window end, same forms, or "now"; default now
  --aws              the deployed stack's data, through its reports function
  --stage NAME       with --aws: the stage deployed with -c pricestream:stage=NAME
  --png-dir <dir>    where the PNGs go; default <out>-charts/ beside the HTML
  --no-png           skip the PNGs (no browser started)
  -h, --help         show this help

Without --study (and --aws) the figures come from DATABASE_URL, else
${LOCAL_DATABASE_URL}. Times are UTC, as in npm run compare.
The browser is the one inside the @sparticuz/chromium package, or
PRICESTREAM_CHROMIUM.

Exit codes: 0 written; 1 no rows in the window; 2 bad arguments or study
file; 3 PostgreSQL unreachable; 4 not migrated; 5 a query or the browser failed.`;

interface Options extends WindowOptions {
  out: string;
  study: string | undefined;
  pngDir: string | undefined;
}

function parseOptions(argv: string[]): Options | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        study: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        aws: { type: 'boolean' },
        stage: { type: 'string' },
        'png-dir': { type: 'string' },
        'no-png': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const out = values.out as string | undefined;
  if (!out) throw new UsageError('--out FILE is required');
  const window = windowOptions(values);
  if (values.aws && values.study)
    throw new UsageError('--aws reads the stack; --study a file: one of them');
  const defaultPngDir = path.join(
    path.dirname(out),
    `${path.basename(out, path.extname(out))}-charts`,
  );
  return {
    out,
    study: values.study as string | undefined,
    ...window,
    pngDir: values['no-png']
      ? undefined
      : ((values['png-dir'] as string | undefined) ?? defaultPngDir),
  };
}

async function readStudy(file: string): Promise<StudyResult> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--study ${file}: ${(error as Error).message}`);
  }
  const result = parsed as Partial<StudyResult>;
  if (result.kind !== 'pricestream-study' || !Array.isArray(result.settings)) {
    throw new UsageError(`--study ${file}: not a result of npm run study`);
  }
  if (result.settings.length === 0)
    throw new UsageError(`--study ${file}: the study has no settings`);
  return result as StudyResult;
}

async function fromDatabase(
  options: Options,
): Promise<{ data: ReportData } | { exitCode: number }> {
  const read = await readReport(options, true);
  if (!read.ok) {
    process.stderr.write(`${read.message}\n`);
    return { exitCode: read.exitCode };
  }
  const { report, cdf, where: server } = read;
  if (totalRecords(report) === 0) {
    process.stderr.write(
      `No rows in silver.prices between ${report.window.since} and ${report.window.until} (${server}): ` +
        'is `npm start` running? Try a longer --since, or --study with a study result.\n',
    );
    return { exitCode: EXIT.noRows };
  }
  return { data: databaseReportData(report, cdf, server) };
}

async function main(argv: string[]): Promise<number> {
  let options: Options | 'help';
  let data: ReportData;
  try {
    options = parseOptions(argv);
    if (options === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (options.study) {
      data = studyReportData(await readStudy(options.study), options.study, new Date());
    } else {
      const read = await fromDatabase(options);
      if ('exitCode' in read) return read.exitCode;
      data = read.data;
    }
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof WindowError)) throw error;
    process.stderr.write(`${error.message} (see --help)\n`);
    return EXIT.badArguments;
  }
  await mkdir(path.dirname(path.resolve(options.out)), { recursive: true });
  await writeFile(options.out, renderHtml(data));
  process.stdout.write(`Wrote ${options.out}\n`);
  if (options.pngDir) {
    try {
      const files = await chartPngs(options.out, options.pngDir);
      process.stdout.write(`Wrote ${files.length} chart PNGs to ${options.pngDir}\n`);
    } catch (error) {
      process.stderr.write(`The chart PNGs could not be made: ${(error as Error).message}\n`);
      return EXIT.failed;
    }
  }
  return EXIT.ok;
}

process.exitCode = await main(process.argv.slice(2));
