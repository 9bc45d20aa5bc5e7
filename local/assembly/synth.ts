/** Synthesizes the CDK app with the project's own CDK CLI. */
import { spawn } from 'node:child_process';
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
