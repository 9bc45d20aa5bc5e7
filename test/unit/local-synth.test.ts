import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cdkCliPath, SynthError } from '../../local/assembly/synth.ts';
import { PROJECT_DIR } from '../../local/runtime.ts';

describe('cdkCliPath', () => {
  it("finds the project's own CDK CLI", () => {
    expect(cdkCliPath(PROJECT_DIR)).toBe(path.join(PROJECT_DIR, 'node_modules/aws-cdk/bin/cdk'));
  });

  it('says to install dependencies when there is none', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'no-cdk-'));
    try {
      expect(() => cdkCliPath(empty)).toThrow(SynthError);
      expect(() => cdkCliPath(empty)).toThrow(/npm ci/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
