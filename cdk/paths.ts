import { fileURLToPath } from 'node:url';

/**
 * Paths the stack needs, resolved from this file's own folder so that `cdk synth`,
 * tests and the local runtime agree whatever the working directory is.
 */

/** The repository root (holds package.json and package-lock.json). */
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The lock file esbuild bundling is keyed on. */
export const LOCK_FILE = fileURLToPath(new URL('../package-lock.json', import.meta.url));

/** The SQL the functions run: `migrations/` (numbered) and `queries/`. */
export const SQL_DIR = fileURLToPath(new URL('../sql', import.meta.url));

/** The handler of the function in `lambdas/<name>/`. */
export function lambdaEntry(name: string): string {
  return fileURLToPath(new URL(`../lambdas/${name}/index.ts`, import.meta.url));
}
