/**
 * Synthesizes the CDK app with the project's own CDK CLI, or finds that the
 * cloud assembly is already current for the sources and skips it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { forEachLine } from '../shared/line-splitter.ts';

export class SynthError extends Error {
  override name = 'SynthError';
}

export interface SynthOptions {
  /** Where cdk.json and node_modules are. */
  projectDir: string;
  /** The cloud assembly directory (`-o`). */
  outDir: string;
  /** `-c key=value` context for the app. */
  context?: Record<string, string>;
  onLine?: (line: string) => void;
}

/** The CLI's entry file, found the way Node finds packages from the project. */
export function cdkCliPath(projectDir: string): string {
  const require = createRequire(path.join(projectDir, 'package.json'));
  try {
    return require.resolve('aws-cdk/bin/cdk');
  } catch {
    throw new SynthError(
      `The CDK CLI (package aws-cdk) is not installed in ${projectDir}: run npm ci`,
    );
  }
}

export async function synthesize(options: SynthOptions): Promise<void> {
  const args = [
    cdkCliPath(options.projectDir),
    'synth',
    '--quiet',
    '--no-notices',
    '-o',
    options.outDir,
  ];
  for (const [key, value] of Object.entries(options.context ?? {}))
    args.push('-c', `${key}=${value}`);
  const child = spawn(process.execPath, args, {
    cwd: options.projectDir,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    options.onLine?.(line);
  };
  if (child.stdout) forEachLine(child.stdout, remember);
  if (child.stderr) forEachLine(child.stderr, remember);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) {
    throw new SynthError(`cdk synth failed (exit code ${code}):\n${tail.join('\n')}`);
  }
}

/** What a cloud assembly is made from: the app's folders and files, relative to the project. */
const INPUT_DIRS = ['cdk', 'lambdas', 'sql'];
const INPUT_FILES = ['cdk.json', 'package.json', 'package-lock.json', 'tsconfig.json'];
/** The app reads these (stack environment). */
const INPUT_ENV = ['CDK_DEFAULT_ACCOUNT', 'CDK_DEFAULT_REGION'];
/** Written into the assembly after a successful synthesis. */
export const INPUTS_STAMP = 'pricestream-inputs.json';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await filesUnder(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}

/**
 * A hash of everything the synthesized assembly depends on: the contents of
 * the app's sources, the dependency lock, the context given on the command
 * line and the stack environment. Reading about 150 files takes tens of
 * milliseconds; a synthesis with bundling takes about ten seconds.
 */
export async function assemblyInputsHash(
  projectDir: string,
  context: Record<string, string> = {},
  env: Record<string, string | undefined> = process.env,
): Promise<string> {
  const hash = createHash('sha256');
  const files = [
    ...(await Promise.all(INPUT_DIRS.map((dir) => filesUnder(path.join(projectDir, dir))))).flat(),
    ...INPUT_FILES.map((file) => path.join(projectDir, file)),
  ];
  for (const file of files) {
    const content = await readFile(file).catch(() => Buffer.from('(missing)'));
    hash.update(`${path.relative(projectDir, file)}\0`);
    hash.update(createHash('sha256').update(content).digest('hex'));
    hash.update('\n');
  }
  const sortedContext = Object.entries(context).sort(([a], [b]) => a.localeCompare(b));
  hash.update(
    JSON.stringify({ context: sortedContext, env: INPUT_ENV.map((k) => env[k] ?? null) }),
  );
  return hash.digest('hex');
}

/** Whether `outDir` holds an assembly synthesized from these exact inputs. */
export async function isAssemblyCurrent(outDir: string, inputsHash: string): Promise<boolean> {
  try {
    const stamp = JSON.parse(await readFile(path.join(outDir, INPUTS_STAMP), 'utf8')) as {
      inputs?: string;
    };
    await stat(path.join(outDir, 'manifest.json'));
    return stamp.inputs === inputsHash;
  } catch {
    return false;
  }
}

/**
 * Synthesizes unless `outDir` is already current for the sources (or `force`).
 * The stamp is removed first and written last, so an interrupted synthesis
 * is never taken for a current one.
 */
export async function synthesizeIfStale(
  options: SynthOptions & { force?: boolean; onSynthesize?: () => void },
): Promise<'synthesized' | 'current'> {
  const inputs = await assemblyInputsHash(options.projectDir, options.context);
  if (!options.force && (await isAssemblyCurrent(options.outDir, inputs))) return 'current';
  options.onSynthesize?.();
  await rm(path.join(options.outDir, INPUTS_STAMP), { force: true });
  await synthesize(options);
  await writeInputsStamp(options.outDir, inputs);
  return 'synthesized';
}

/** Marks `outDir` as synthesized from `inputs` (see isAssemblyCurrent). */
export async function writeInputsStamp(outDir: string, inputs: string): Promise<void> {
  await writeFile(
    path.join(outDir, INPUTS_STAMP),
    `${JSON.stringify({ inputs, synthesizedAt: new Date().toISOString() }, null, 2)}\n`,
  );
}
