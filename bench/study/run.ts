/**
 * npm run study [-- --quick | --json | --windows 0,5 --sizes 100 …]
 *
 * The comparison as a sweep: the local pipeline once per setting of the
 * batched consumer's window and batch size and of the per-record consumer's
 * read mode, at each offered load; per setting every latency sample,
 * throughput, invocations and statements per 1,000 records, CPU, and the
 * cost per million events on AWS. See USAGE in options.ts.
 *
 * One PostgreSQL and one kinesis-local for the whole study, on their own
 * ports (54419, 4648) and in a data folder under the OS temp folder that is
 * removed at the end; each setting gets a fresh stream and its own trade ids.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { encodePriceEvent } from '../../lambdas/shared/price-event.ts';
import { SimulatedMarket } from '../../lambdas/shared/sources/sim.ts';
import { toPriceEvent } from '../../lambdas/shared/tick.ts';
import { assemblyFor } from '../../local/assembly/assembly-cache.ts';
import { createRuntimeKinesisClient } from '../../local/kinesis/kinesis-client.ts';
import { PROJECT_DIR } from '../../local/runtime.ts';
import { startServices } from '../../local/services/local-services.ts';
import { BenchAgent } from '../agent-client.ts';
import { machineInfo, machineRecord } from '../resources.ts';
import { round } from '../stats.ts';
import { AWS_PRICES } from './aws-prices.ts';
import { parseStudyArgs, type StudyOptions, USAGE, UsageError } from './options.ts';
import { ORIGINAL_STUDY } from './reference.ts';
import { renderText, type StudyResult, type StudySetting, summarize } from './result.ts';
import { runSetting } from './setting.ts';
import { type AssemblySpec, planSweep } from './sweep.ts';

/** The stack's symbols (cdk/config.ts DEFAULT_SYMBOLS): 5, so the original load is 0.5 records/s. */
const SYMBOLS = 5;
/** Trade ids skipped after a failed setting, so none of its rows is counted again. */
const FAILED_SETTING_TRADE_IDS = 1_000_000;

export interface StudyRun {
  result: StudyResult;
  jsonFile: string;
}

export async function runStudy(
  options: StudyOptions,
  print: (line: string) => void,
): Promise<StudyRun> {
  const startedAt = new Date();
  const log = (line: string) =>
    print(`[${((Date.now() - startedAt.getTime()) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  const machine = machineInfo();
  const sweep = planSweep(options, SYMBOLS);
  log(`${sweep.settings.length} settings on ${sweep.assemblies.length} synthesized stacks`);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'pricestream-study-'));
  // As root, PostgreSQL runs as the postgres user, who must be able to enter it.
  await chmod(workDir, 0o755);
  const agent = BenchAgent.start();
  try {
    // --quick measures while the later stacks are still being synthesized
    // (one at a time); a full study synthesizes everything first, so no
    // setting shares the CPU with a synthesis.
    const assemblies = synthesizeAll(sweep.assemblies, workDir, options.quick ? 1 : 2, log);
    if (!options.quick) await Promise.all(assemblies.values());
    const services = await startServices({
      databaseUrl: undefined,
      kinesisEndpoint: undefined,
      dataDir: path.join(workDir, 'data'),
      postgresPort: options.postgresPort,
      kinesisPort: options.kinesisPort,
      database: 'pricestream',
    });
    const kinesis = createRuntimeKinesisClient(services.kinesisEndpoint, 'us-east-1');
    const settings: StudySetting[] = [];
    const warnings: string[] = [];
    const bytesPerRecord = eventBytes();
    try {
      let tradeId = 1;
      for (const [i, spec] of sweep.settings.entries()) {
        log(`(${i + 1}/${sweep.settings.length}) ${spec.id}: ${spec.loadSeconds} s of load`);
        let run: Awaited<ReturnType<typeof runSetting>>;
        try {
          run = await runSetting({
            spec,
            cdkOut: await (assemblies.get(spec.assembly) as Promise<string>),
            dataDir: path.join(workDir, 'runtime'),
            services,
            kinesis,
            agent,
            firstTradeId: tradeId,
            log,
          });
        } catch (error) {
          // One setting that fails does not cost the others: it is left out and said so.
          const line = `${spec.id} failed and is left out: ${(error as Error).message}`;
          log(`  ! ${line}`);
          warnings.push(line);
          tradeId += FAILED_SETTING_TRADE_IDS;
          continue;
        }
        const { measurement, nextTradeId } = run;
        tradeId = nextTradeId;
        const setting = summarize(spec, measurement, bytesPerRecord, AWS_PRICES);
        warnings.push(...measurement.warnings);
        settings.push(setting);
        log(
          `    ${setting.records}/${setting.sent} rows, p50 ${setting.p50Ms} ms, p95 ${setting.p95Ms} ms, ` +
            `${setting.invocationsPer1000} invocations/1000, $${setting.costPerMillionUsd}/M, load ${setting.loadAverage1m}`,
        );
      }
    } finally {
      kinesis.destroy();
      await services.stop();
    }
    const finishedAt = new Date();
    const { help: _help, json: _json, ...recorded } = options;
    const result: StudyResult = {
      version: 1,
      kind: 'pricestream-study',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationSeconds: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
      options: recorded,
      machine: machineRecord(machine),
      bytesPerRecord,
      prices: AWS_PRICES,
      reference: ORIGINAL_STUDY,
      settings,
      warnings,
    };
    const outDir = path.resolve(PROJECT_DIR, options.outDir);
    await mkdir(outDir, { recursive: true });
    const name = options.name ?? `study-${startedAt.toISOString().replace(/[:.]/g, '-')}`;
    const jsonFile = path.join(outDir, `${name}.json`);
    await writeFile(jsonFile, `${JSON.stringify(result)}\n`);
    log(`Saved ${path.relative(process.cwd(), jsonFile)}`);
    return { result, jsonFile };
  } finally {
    await agent.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Starts the syntheses, `concurrency` at a time in the order given (the
 * order the settings need them), and returns each stack's folder as a
 * promise. A failed synthesis fails the settings that need it.
 */
function synthesizeAll(
  specs: AssemblySpec[],
  workDir: string,
  concurrency: number,
  log: (line: string) => void,
): Map<string, Promise<string>> {
  log(`Synthesizing ${specs.map((s) => s.key).join(', ')} (cdk synth, ${concurrency} at a time)`);
  const out = new Map<string, Promise<string>>();
  const slots: Array<Promise<unknown>> = [];
  for (const [i, spec] of specs.entries()) {
    const outDir = path.join(workDir, `cdk.out-${spec.key}`);
    // Each synthesis waits for the one `concurrency` places before it.
    const after = slots[i - concurrency] ?? Promise.resolve();
    const done = after
      .catch(() => {})
      .then(() =>
        assemblyFor({
          projectDir: PROJECT_DIR,
          outDir,
          cacheDir: process.env.PRICESTREAM_ASSEMBLY_CACHE,
          context: {
            'pricestream:batch.batchingWindowSeconds': String(spec.batchingWindowSeconds),
            'pricestream:batch.batchSize': String(spec.batchSize),
            'pricestream:realtime.enhancedFanOut': String(spec.enhancedFanOut),
          },
        }),
      );
    // Not awaited before a setting needs it: no unhandled rejection meanwhile.
    done.catch(() => {});
    slots.push(done);
    out.set(spec.key, done);
  }
  return out;
}

/** The size of one price event as the load generator puts it on the stream. */
function eventBytes(): number {
  const market = new SimulatedMarket(42);
  const quote = market.quote('BTC-USD', new Date());
  return encodePriceEvent(toPriceEvent('sim', { ...quote, tradeId: 1_000_000 })).length;
}

async function main(argv: string[]): Promise<number> {
  let options: StudyOptions;
  try {
    options = parseStudyArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message} (see --help)\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  // With --json, stdout holds the JSON alone; progress goes to stderr.
  const progress = (line: string) =>
    (options.json ? process.stderr : process.stdout).write(`${line}\n`);
  const { result } = await runStudy(options, progress);
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`\n${renderText(result)}\n`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
