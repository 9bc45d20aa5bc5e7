/**
 * npm run bench [-- --quick | --modes standard,efo | --duration 120 | --rates 100,200 …]
 *
 * Latency, throughput, CPU and memory of the pipeline on the local runtime,
 * per consumer and per mode (standard polling; the realtime consumer through
 * enhanced fan-out), next to the floors of the same servers. See USAGE in
 * options.ts, and bench/results/baseline.md for a full run.
 *
 * Uses its own ports (PostgreSQL 54359, kinesis-local 4598) and a fresh data
 * folder under the OS temp folder, removed at the end, so a running
 * `npm start` is left alone.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assemblyFor } from '../local/assembly/assembly-cache.ts';
import { PROJECT_DIR } from '../local/runtime.ts';
import { BenchAgent } from './agent-client.ts';
import { type BenchOptions, type Mode, parseBenchArgs, USAGE, UsageError } from './options.ts';
import { type Floors, type ModeResult, runMode } from './pipeline.ts';
import { type BenchReport, checks, renderMarkdown, renderText } from './report.ts';
import { machineInfo, machineRecord } from './resources.ts';

export interface BenchRun {
  report: BenchReport;
  jsonFile: string;
  markdownFile: string;
}

/** Runs the benchmark; `log` gets progress lines. */
export async function runBench(
  options: BenchOptions,
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<BenchRun> {
  const startedAt = new Date();
  const log = (line: string) =>
    print(`[${((Date.now() - startedAt.getTime()) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  const machine = machineInfo();
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'pricestream-bench-'));
  // As root, PostgreSQL runs as the postgres user, who must be able to enter it.
  await chmod(workDir, 0o755);
  const agent = BenchAgent.start();
  try {
    const assemblies = await synthesizeModes(options, workDir, log);
    const modes: ModeResult[] = [];
    let floors: Floors | undefined;
    for (const [i, mode] of options.modes.entries()) {
      const result = await runMode(
        {
          mode,
          cdkOut: assemblies.get(assemblyOf(mode)) as string,
          dataDir: path.join(workDir, `data-${mode}`),
          drainDataDir: path.join(workDir, `drain-${mode}`),
          postgresPort: options.postgresPort,
          kinesisPort: options.kinesisPort,
          durationSeconds: options.durationSeconds,
          stepSeconds: options.stepSeconds,
          rates: options.rates,
          drainRecords: options.drainRecords,
          floors:
            i === 0
              ? {
                  samples: options.floorSamples,
                  readerRecords: options.quick ? 3_000 : Math.max(options.drainRecords, 10_000),
                }
              : undefined,
          log,
        },
        agent,
      );
      floors ??= result.floors;
      modes.push(result);
    }
    const { help: _help, ...recorded } = options;
    const report: BenchReport = {
      version: 1,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      options: recorded,
      machine: machineRecord(machine),
      floors,
      modes,
      checks: checks(modes, floors),
    };
    const outDir = path.resolve(PROJECT_DIR, options.outDir);
    await mkdir(outDir, { recursive: true });
    const base = options.baseline
      ? 'baseline'
      : `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}`;
    const jsonFile = path.join(outDir, `${base}.json`);
    const markdownFile = path.join(outDir, `${base}.md`);
    await writeFile(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(markdownFile, renderMarkdown(report));
    log(renderText(report));
    log(
      `\nSaved ${path.relative(process.cwd(), jsonFile)} and ${path.relative(process.cwd(), markdownFile)}`,
    );
    return { report, jsonFile, markdownFile };
  } finally {
    await agent.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** efo and efo-subscribe run the same template; only the local transport differs. */
function assemblyOf(mode: Mode): 'standard' | 'efo' {
  return mode === 'standard' ? 'standard' : 'efo';
}

async function synthesizeModes(
  options: BenchOptions,
  workDir: string,
  log: (line: string) => void,
): Promise<Map<string, string>> {
  const needed = [...new Set(options.modes.map(assemblyOf))];
  log(`Synthesizing ${needed.join(' and ')} (cdk synth)`);
  const out = new Map<string, string>();
  await Promise.all(
    needed.map(async (name) => {
      const outDir = path.join(workDir, `cdk.out-${name}`);
      const context: Record<string, string> = {};
      for (const [key, value] of Object.entries(options.context)) {
        context[`pricestream:${key}`] = value;
      }
      if (name === 'efo') context['pricestream:realtime.enhancedFanOut'] = 'true';
      const cacheDir = process.env.PRICESTREAM_ASSEMBLY_CACHE;
      out.set(name, await assemblyFor({ projectDir: PROJECT_DIR, outDir, context, cacheDir }));
    }),
  );
  return out;
}

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message} (see --help)\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  await runBench(options);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
