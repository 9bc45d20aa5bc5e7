import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  assemblyInputsHash,
  INPUTS_STAMP,
  isAssemblyCurrent,
  SynthError,
  synthesizeIfStale,
} from '../../local/assembly/synth.ts';

let project: string;
let outDir: string;

beforeEach(async () => {
  project = await mkdtemp(path.join(os.tmpdir(), 'synth-inputs-'));
  outDir = path.join(project, 'cdk.out');
  await mkdir(path.join(project, 'cdk'), { recursive: true });
  await mkdir(path.join(project, 'lambdas/rollup'), { recursive: true });
  await mkdir(outDir);
  await writeFile(path.join(project, 'cdk/app.ts'), 'export {};\n');
  await writeFile(path.join(project, 'lambdas/rollup/index.ts'), 'export const handler = 1;\n');
  await writeFile(path.join(project, 'cdk.json'), '{}\n');
  await writeFile(path.join(outDir, 'manifest.json'), '{}\n');
});

afterEach(async () => {
  await rm(project, { recursive: true, force: true });
});

const stamp = (inputs: string) =>
  writeFile(path.join(outDir, INPUTS_STAMP), JSON.stringify({ inputs }));

describe('the cloud assembly is current', () => {
  it('for the same sources, context and stack environment only', async () => {
    const env = { CDK_DEFAULT_REGION: 'eu-west-1' };
    const before = await assemblyInputsHash(project, { 'pricestream:stage': 'dev' }, env);
    await stamp(before);

    const same = await assemblyInputsHash(project, { 'pricestream:stage': 'dev' }, env);
    const otherContext = await assemblyInputsHash(project, { 'pricestream:stage': 'prod' }, env);
    const otherRegion = await assemblyInputsHash(project, { 'pricestream:stage': 'dev' }, {});
    await writeFile(path.join(project, 'lambdas/rollup/index.ts'), 'export const handler = 2;\n');
    const edited = await assemblyInputsHash(project, { 'pricestream:stage': 'dev' }, env);

    expect(same).toBe(before);
    expect(await isAssemblyCurrent(outDir, same)).toBe(true);
    for (const changed of [otherContext, otherRegion, edited]) {
      expect(changed).not.toBe(before);
      expect(await isAssemblyCurrent(outDir, changed)).toBe(false);
    }
  });

  it('not without its stamp or its manifest', async () => {
    const inputs = await assemblyInputsHash(project);

    expect(await isAssemblyCurrent(outDir, inputs)).toBe(false);
    await stamp(inputs);
    await rm(path.join(outDir, 'manifest.json'));
    expect(await isAssemblyCurrent(outDir, inputs)).toBe(false);
  });
});

describe('synthesizeIfStale', () => {
  it('skips a current assembly and synthesizes a stale one, removing the old stamp first', async () => {
    await stamp(await assemblyInputsHash(project));
    let announced = 0;
    const options = { projectDir: project, outDir, onSynthesize: () => announced++ };

    const outcome = await synthesizeIfStale(options);
    await writeFile(path.join(project, 'cdk/app.ts'), 'export const changed = true;\n');
    // This scratch project has no CDK CLI, so a synthesis that starts fails at once.
    const stale = synthesizeIfStale(options);

    expect(outcome).toBe('current');
    await expect(stale).rejects.toThrow(SynthError);
    expect(announced).toBe(1);
    await expect(readFile(path.join(outDir, INPUTS_STAMP))).rejects.toThrow(/ENOENT/);
  });
});
