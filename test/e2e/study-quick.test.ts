import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from '../support/run-script.ts';

// Own ports, away from npm start, bench, a default study run and the other tests.
const PG_PORT = process.env.PRICESTREAM_E2E_STUDY_PG_PORT ?? '54439';
const KINESIS_PORT = process.env.PRICESTREAM_E2E_STUDY_KINESIS_PORT ?? '4668';

const REQUIRED = [
  'p50Ms',
  'p95Ms',
  'recordsPerSecond',
  'invocationsPer1000',
  'statementsPer1000',
  'costPerMillionUsd',
  'offeredPerSecond',
  'batchingWindowSeconds',
  'batchSize',
] as const;

interface Setting {
  consumer: string;
  mode: string;
  records: number;
  sent: number;
  latencySamplesMs: number[];
  [key: string]: unknown;
}

let outDir: string | undefined;
afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('npm run study -- --quick --json', () => {
  it('prints at least six settings, and the batched p50 rises with the window', async () => {
    outDir = await mkdtemp(path.join(os.tmpdir(), 'pricestream-study-test-'));
    const started = Date.now();
    const { code, stdout, stderr } = await runCommand('npm', [
      'run',
      'study',
      '--',
      '--quick',
      '--json',
      '--pg-port',
      PG_PORT,
      '--kinesis-port',
      KINESIS_PORT,
      '--out',
      outDir,
    ]);
    const seconds = (Date.now() - started) / 1000;
    expect(code, stderr).toBe(0);
    // npm prints its own two banner lines first; the study's stdout is one JSON line.
    const line = stdout.split('\n').find((l) => l.startsWith('{'));
    const result = JSON.parse(line ?? 'null') as { settings: Setting[] };
    const { settings } = result;
    expect(settings.length).toBeGreaterThanOrEqual(6);

    for (const setting of settings) {
      for (const key of REQUIRED) {
        expect(Number.isFinite(setting[key]), `${key} of ${JSON.stringify(setting.mode)}`).toBe(
          true,
        );
      }
      expect(['realtime', 'batch']).toContain(setting.consumer);
      expect(setting.records).toBe(setting.sent);
      expect(setting.latencySamplesMs).toHaveLength(setting.records);
      expect(setting.costPerMillionUsd as number).toBeGreaterThan(0);
    }

    const realtime = settings.filter((s) => s.consumer === 'realtime');
    expect(realtime.map((s) => s.mode).sort()).toEqual(['efo', 'standard']);
    for (const s of realtime) expect(s.invocationsPer1000).toBe(1000);

    const batch = settings
      .filter((s) => s.consumer === 'batch')
      .sort((a, b) => (a.batchingWindowSeconds as number) - (b.batchingWindowSeconds as number));
    expect(batch.length).toBeGreaterThanOrEqual(3);
    const p50s = batch.map((s) => s.p50Ms as number);
    for (let i = 1; i < p50s.length; i++) {
      expect(p50s[i], `p50 by window: ${p50s.join(', ')}`).toBeGreaterThan(p50s[i - 1] as number);
    }
    // Batching: fewer invocations and statements per record than one each.
    for (const s of batch) {
      expect(s.invocationsPer1000 as number).toBeLessThan(1000);
      expect(s.statementsPer1000 as number).toBeLessThan(1000);
    }

    // The same result, all samples included, in the results folder.
    const files = await readdir(outDir);
    expect(files.filter((f) => /^study-.*\.json$/.test(f))).toHaveLength(1);
    const saved = JSON.parse(await readFile(path.join(outDir, files[0] as string), 'utf8'));
    expect(saved.settings).toHaveLength(settings.length);
    console.info(`study --quick took ${seconds.toFixed(0)} s`);
  });
});
