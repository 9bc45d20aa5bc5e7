import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A database URL where nothing listens: PostgreSQL unreachable, for real. */
export const UNREACHABLE_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:9/none';

/**
 * An operator command as a user runs it (`npx tsx scripts/<name>.ts`): a child
 * process with DATABASE_URL set, its stdout, stderr and exit code.
 */
export async function runScript(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('npx', ['tsx', `scripts/${script}.ts`, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  return { code, stdout, stderr };
}
