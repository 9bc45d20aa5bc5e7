/**
 * The synthesized stack for tests, from the assembly cache
 * (local/assembly/assembly-cache.ts): a test file, or a command it runs, that
 * needs a stack variant another file has already synthesized in this checkout
 * reads that one instead of synthesizing its own (10-15 s of both cores).
 * vitest.config.ts names the cache folder in PRICESTREAM_ASSEMBLY_CACHE, so
 * the commands the tests run (chaos, soak, study, bench) use it too.
 */
import path from 'node:path';
import { cachedAssembly } from '../../local/assembly/assembly-cache.ts';
import { ROOT } from './run-script.ts';

/** node_modules/.cache/pricestream/assemblies, unless the environment names another. */
export const ASSEMBLY_CACHE =
  process.env.PRICESTREAM_ASSEMBLY_CACHE ??
  path.join(ROOT, 'node_modules', '.cache', 'pricestream', 'assemblies');

/**
 * The cloud assembly of the stack with this `-c` context (none: the stack as
 * `npm start` synthesizes it). Read it, never write into it: give the
 * runtime `synth: false`.
 */
export function stackAssembly(context: Record<string, string> = {}): Promise<string> {
  return cachedAssembly({ projectDir: ROOT, cacheDir: ASSEMBLY_CACHE, context });
}
