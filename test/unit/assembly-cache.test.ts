/**
 * The cache of synthesized assemblies: a variant is synthesized once however
 * many ask for it at once, found again while its sources stay the same,
 * synthesized anew when they or its context change, and a lock left by a
 * process that died does not block it. The synthesis is a stand-in that
 * writes a manifest, so each case runs in milliseconds.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assemblyFor, cachedAssembly } from '../../local/assembly/assembly-cache.ts';
import {
  assemblyInputsHash,
  type SynthOptions,
  writeInputsStamp,
} from '../../local/assembly/synth.ts';

let root: string;
let projectDir: string;
let cacheDir: string;
const syntheses: SynthOptions[] = [];

async function fakeSynthesize(options: SynthOptions): Promise<void> {
  syntheses.push(options);
  await mkdir(options.outDir, { recursive: true });
  await new Promise((resolve) => setTimeout(resolve, 50));
  await writeFile(
    path.join(options.outDir, 'manifest.json'),
    JSON.stringify({ context: options.context ?? {} }),
  );
}

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pricestream-assembly-cache-'));
  projectDir = path.join(root, 'project');
  cacheDir = path.join(root, 'cache');
  for (const dir of ['cdk', 'lambdas', 'sql'])
    await mkdir(path.join(projectDir, dir), { recursive: true });
  await writeFile(path.join(projectDir, 'cdk', 'app.ts'), 'export const v = 1;\n');
  await writeFile(path.join(projectDir, 'package.json'), '{}\n');
  syntheses.length = 0;
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ask = (context?: Record<string, string>) =>
  cachedAssembly({
    projectDir,
    cacheDir,
    synthesize: fakeSynthesize,
    ...(context ? { context } : {}),
  });

describe('the assembly cache', () => {
  it('synthesizes a variant once for callers that ask at the same time, and finds it afterwards', async () => {
    const dirs = await Promise.all([ask(), ask(), ask()]);
    const again = await ask();

    expect(new Set([...dirs, again]).size).toBe(1);
    expect(syntheses).toHaveLength(1);
    expect(JSON.parse(await readFile(path.join(again, 'manifest.json'), 'utf8'))).toEqual({
      context: {},
    });
    // Nothing left beside it: no lock, no half-built folder.
    expect(await readdir(cacheDir)).toEqual([path.basename(again)]);
  });

  it('gives the lock to one caller at a time when the clock is far from the file times', async () => {
    // The clock 400 days ahead of the files' times, as under CI's faketime
    // (file times come from the kernel): a lock folder caught between its
    // mkdir and its pid used to look 400 days old, hence abandoned, so two
    // callers held it and the second rename of their one building folder failed.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 400 * 86_400_000 });
    try {
      for (let round = 0; round < 10; round += 1) {
        await writeFile(path.join(projectDir, 'cdk', 'app.ts'), `export const v = ${round};\n`);
        const dirs = await Promise.all(Array.from({ length: 6 }, () => ask()));
        expect(new Set(dirs).size).toBe(1);
        expect(syntheses).toHaveLength(round + 1);
      }
    } finally {
      vi.useRealTimers();
    }
    expect((await readdir(cacheDir)).filter((name) => !/^[0-9a-f]{32}$/.test(name))).toEqual([]);
  });

  it('keeps one folder per context, and synthesizes again when a source changes', async () => {
    const plain = await ask();
    const windowed = await ask({ 'pricestream:batch.batchingWindowSeconds': '2' });
    await writeFile(path.join(projectDir, 'cdk', 'app.ts'), 'export const v = 2;\n');
    const changed = await ask();

    expect(new Set([plain, windowed, changed]).size).toBe(3);
    expect(syntheses.map((s) => s.context ?? {})).toEqual([
      {},
      { 'pricestream:batch.batchingWindowSeconds': '2' },
      {},
    ]);
  });

  it("takes over a lock whose process is gone, and waits for a live one's synthesis", async () => {
    const dir = await ask();
    await rm(dir, { recursive: true });
    // A lock left by a process that no longer runs.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    await mkdir(`${dir}.lock`);
    await writeFile(path.join(`${dir}.lock`, 'pid'), dead.stdout.toString());

    expect(await ask()).toBe(dir);
    expect(syntheses).toHaveLength(2);

    // A lock held by a live process (this one): the caller waits until the assembly is there.
    await rm(dir, { recursive: true });
    await mkdir(`${dir}.lock`);
    await writeFile(path.join(`${dir}.lock`, 'pid'), String(process.pid));
    const waiting = ask();
    await fakeSynthesize({ projectDir, outDir: dir });
    await writeInputsStamp(dir, await assemblyInputsHash(projectDir));
    await rm(`${dir}.lock`, { recursive: true });

    expect(await waiting).toBe(dir);
    expect(syntheses).toHaveLength(3); // the stand-in above; the caller did not synthesize
  });

  it('lets one of several callers take over an abandoned lock, and clears what killed runs left', async () => {
    const dir = await ask();
    await rm(dir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = dead.stdout.toString();
    await mkdir(`${dir}.lock`);
    await writeFile(path.join(`${dir}.lock`, 'pid'), deadPid);
    // A synthesis that was killed half-way, and a takeover killed before it tidied up.
    await mkdir(`${dir}.building-${deadPid}`);
    await mkdir(`${dir}.lock.stale-${deadPid}-0`);

    const dirs = await Promise.all([ask(), ask(), ask(), ask()]);

    expect(new Set(dirs)).toEqual(new Set([dir]));
    expect(syntheses).toHaveLength(2); // the first ask above, then one of the four
    expect(await readdir(cacheDir)).toEqual([path.basename(dir)]);
  });

  it('is used by the commands only when they are given a cache folder', async () => {
    const own = path.join(root, 'own-cdk.out');

    const cached = await assemblyFor({
      projectDir,
      outDir: own,
      cacheDir,
      synthesize: fakeSynthesize,
    });

    const uncached = await assemblyFor({
      projectDir,
      outDir: own,
      cacheDir: undefined,
      synthesize: fakeSynthesize,
    });

    expect(path.dirname(cached)).toBe(cacheDir);
    expect(uncached).toBe(own);
    expect(syntheses.map((s) => s.outDir)).toEqual([expect.stringContaining(cacheDir), own]);
  });
});
