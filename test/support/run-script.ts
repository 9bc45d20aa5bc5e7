import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A database URL where nothing listens: PostgreSQL unreachable, for real. */
export const UNREACHABLE_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:9/none';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * A command as a user runs it: a child process (`command` with `args`, in
 * `cwd`, default the repository), its stdout, stderr and exit code.
 */
export async function runCommand(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CommandResult> {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise<CommandResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * An operator command as a user runs it (`npx tsx scripts/<name>.ts`), with
 * DATABASE_URL and the rest of `env` set.
 */
export function runScript(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<CommandResult> {
  return runCommand('npx', ['tsx', `scripts/${script}.ts`, ...args], { env });
}
