/**
 * Synthesized cloud assemblies kept by what they are made from: one folder
 * per inputs hash (sources, lock file, `-c` context; see assemblyInputsHash)
 * under a cache folder, so the test files, the study's settings and the
 * fault suite that run the same stack variant synthesize it once between
 * them instead of once each (a synthesis with bundling takes 10-15 s of both
 * cores). Several processes may ask for the same variant at once: one
 * synthesizes under a lock, the others wait for it. A cached assembly is
 * read, never written, by whoever uses it.
 *
 * The commands that synthesize a variant of their own (chaos, soak, bench,
 * study) use it when their environment names a cache folder, as the test
 * projects' does (see assemblyFor and docs/testing.md); otherwise each run
 * synthesizes into its own folder.
 */

import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isAlive } from '../services/processes.ts';
import {
  assemblyInputsHash,
  isAssemblyCurrent,
  type SynthOptions,
  synthesize,
  writeInputsStamp,
} from './synth.ts';

/** Variants kept; older ones are removed when a new one is added. */
const KEEP = 24;

export interface CachedAssemblyOptions extends Omit<SynthOptions, 'outDir'> {
  cacheDir: string;
  /** How long to wait for another process's synthesis of the same variant, ms. Default 10 min. */
  waitMs?: number;
  /** Called when this process synthesizes (not when it finds or waits for one). */
  onSynthesize?: () => void;
  /** The synthesis (tests give a quick one). Default `cdk synth` (synth.ts). */
  synthesize?: (options: SynthOptions) => Promise<void>;
}

/** The folder of the variant's assembly in the cache, synthesized first if it is not there yet. */
export async function cachedAssembly(options: CachedAssemblyOptions): Promise<string> {
  const inputs = await assemblyInputsHash(options.projectDir, options.context);
  const dir = path.join(options.cacheDir, inputs.slice(0, 32));
  const lock = `${dir}.lock`;
  const deadline = Date.now() + (options.waitMs ?? 600_000);
  await mkdir(options.cacheDir, { recursive: true });
  for (;;) {
    if (await isAssemblyCurrent(dir, inputs)) return dir;
    if (await takeLock(lock)) break;
    if (Date.now() > deadline) {
      throw new Error(`gave up waiting for another process's synthesis into ${dir} (lock ${lock})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    if (await isAssemblyCurrent(dir, inputs)) return dir;
    // Synthesized beside the cache entry and renamed into place: a reader
    // never sees a half-written assembly.
    const building = `${dir}.building-${process.pid}`;
    await rm(building, { recursive: true, force: true });
    options.onSynthesize?.();
    await (options.synthesize ?? synthesize)({ ...options, outDir: building });
    if ((await assemblyInputsHash(options.projectDir, options.context)) !== inputs) {
      // The sources changed while it synthesized: what it made belongs to their new hash.
      await rm(building, { recursive: true, force: true });
      return cachedAssembly(options);
    }
    await writeInputsStamp(building, inputs);
    await putInPlace(building, dir, inputs);
    await prune(options.cacheDir);
    return dir;
  } finally {
    await releaseLock(lock);
  }
}

/**
 * Moves a finished synthesis into its cache entry. An entry already current
 * (another process synthesized the same inputs, e.g. after both took over
 * one abandoned lock) is kept as it is, since a caller may be reading it;
 * what is there otherwise was left half-made by an interrupted run.
 */
async function putInPlace(building: string, dir: string, inputs: string): Promise<void> {
  if (!(await isAssemblyCurrent(dir, inputs))) {
    await rm(dir, { recursive: true, force: true });
    try {
      await rename(building, dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !(await isAssemblyCurrent(dir, inputs))) {
        throw error;
      }
    }
  }
  await rm(building, { recursive: true, force: true });
}

/** The pid in a lock folder: a number, NaN when its content is not one, undefined when the lock is gone. */
async function readOwner(lock: string): Promise<number | undefined> {
  try {
    return Number(await readFile(path.join(lock, 'pid'), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The lock is a folder holding its owner's pid, made whole beside it and
 * renamed into place, so it never exists without its pid (a lock seen
 * between a mkdir and the pid's write used to be judged by its age, against
 * a clock that need not agree with the file system's: with the clock 400
 * days ahead two callers held one lock). A rename onto an existing lock
 * fails, except onto an empty folder, which nothing holds. One whose owner
 * is gone is taken over.
 */
async function takeLock(lock: string): Promise<boolean> {
  const fresh = `${lock}.new-${process.pid}-${randomUUID()}`;
  await mkdir(fresh);
  await writeFile(path.join(fresh, 'pid'), String(process.pid));
  try {
    await rename(fresh, lock);
    return true;
  } catch (error) {
    await rm(fresh, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  }
  const owner = await readOwner(lock);
  if (owner === undefined) return takeLock(lock); // released in between
  // Only this module writes a lock, always with a pid: anything else is debris.
  if (Number.isInteger(owner) && isAlive(owner)) return false;
  // Taken over by a rename, which only one of several waiters wins; the
  // winner then checks that it moved the abandoned lock, not a live one
  // that replaced it in between, and puts a live one back.
  const moved = `${lock}.stale-${process.pid}-${randomUUID()}`;
  try {
    await rename(lock, moved);
  } catch (renameError) {
    if ((renameError as NodeJS.ErrnoException).code === 'ENOENT') return takeLock(lock);
    throw renameError;
  }
  if (!Object.is(await readOwner(moved), owner)) {
    await rename(moved, lock).catch(() => {});
    return false;
  }
  await rm(moved, { recursive: true, force: true });
  return takeLock(lock);
}

/**
 * Gives the lock up by renaming it away before removing it: a removal in
 * place could, between emptying the folder and removing it, meet the next
 * owner's lock renamed onto the empty folder, and remove that too.
 */
async function releaseLock(lock: string): Promise<void> {
  const released = `${lock}.released-${process.pid}-${randomUUID()}`;
  await rename(lock, released);
  await rm(released, { recursive: true, force: true });
}

/** Keeps the KEEP most recent variants, and removes what killed runs left half-done. */
async function prune(cacheDir: string): Promise<void> {
  const entries = await readdir(cacheDir, { withFileTypes: true });
  for (const entry of entries) {
    const leftBy = /^[0-9a-f]{32}\.(?:building-|lock\.(?:stale|new|released)-)(\d+)/.exec(
      entry.name,
    )?.[1];
    if (leftBy !== undefined && !isAlive(Number(leftBy))) {
      await rm(path.join(cacheDir, entry.name), { recursive: true, force: true });
    }
  }
  const variants = await Promise.all(
    entries
      .filter((e) => e.isDirectory() && /^[0-9a-f]{32}$/.test(e.name))
      .map(async (e) => {
        const dir = path.join(cacheDir, e.name);
        return { dir, mtimeMs: (await stat(dir)).mtimeMs };
      }),
  );
  variants.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of variants.slice(KEEP)) await rm(old.dir, { recursive: true, force: true });
}

/**
 * Where a command's assembly is: the cache's copy when it is given a cache
 * folder (from its environment), else `outDir`, synthesized there.
 */
export async function assemblyFor(
  options: SynthOptions & {
    cacheDir: string | undefined;
    synthesize?: (options: SynthOptions) => Promise<void>;
  },
): Promise<string> {
  const { cacheDir, ...synthOptions } = options;
  if (cacheDir) return cachedAssembly({ ...synthOptions, cacheDir: path.resolve(cacheDir) });
  await (options.synthesize ?? synthesize)(synthOptions);
  return options.outDir;
}
