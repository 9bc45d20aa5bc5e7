import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/options.ts';
import { runBench } from '../../bench/run.ts';

// Own ports, away from npm start, the integration servers and a bench run.
const PG_PORT = process.env.PRICESTREAM_E2E_BENCH_PG_PORT ?? '54411';
const KINESIS_PORT = process.env.PRICESTREAM_E2E_BENCH_KINESIS_PORT ?? '4661';

let outDir: string | undefined;
afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const positive = (value: number | null | undefined) =>
  typeof value === 'number' && Number.isFinite(value) && value > 0;

describe('npm run bench -- --quick (tiny durations)', () => {
  it('measures latency, throughput, floors and CPU, and writes JSON and Markdown', async () => {
    outDir = await mkdtemp(path.join(os.tmpdir(), 'pricestream-bench-test-'));
    const options = parseBenchArgs([
      '--quick',
      '--duration',
      '3',
      '--step',
      '2',
      '--rates',
      '50',
      '--floor-samples',
      '10',
      // A short window, so the batched consumer's rows do not take 15 s; with
      // the other two settings spelled out as the study spells them, the same
      // stack variant as report-browser's study (synthesized once, cached).
      '--context',
      'batch.batchingWindowSeconds=2',
      '--context',
      'batch.batchSize=1000',
      '--context',
      'realtime.enhancedFanOut=false',
      '--pg-port',
      PG_PORT,
      '--kinesis-port',
      KINESIS_PORT,
      '--out',
      outDir,
    ]);

    const { report, jsonFile, markdownFile } = await runBench(options, () => {});

    const [mode] = report.modes;
    expect(report.modes.map((m) => m.mode)).toEqual(['standard']);
    expect(mode?.batchWindowSeconds).toBe(2);
    const [original, step] = mode?.phases ?? [];
    expect(original?.name).toBe('original');
    expect(step?.name).toBe('50/s');
    for (const phase of [original, step]) {
      for (const consumer of ['realtime', 'batch'] as const) {
        const figures = phase?.consumers[consumer];
        expect(figures?.records).toBe(phase?.load.sent);
        expect(positive(figures?.latencyMs?.p50)).toBe(true);
        expect(positive(figures?.latencyMs?.p95)).toBe(true);
      }
      expect(positive(phase?.cpu.runtime)).toBe(true);
      expect(positive(phase?.cpu.kinesis)).toBe(true);
    }
    expect(positive(mode?.sustainedPerSecond.realtime)).toBe(true);
    expect(positive(mode?.memoryPeak.runtimeRssMb)).toBe(true);
    expect(positive(report.floors?.kinesis.putToGetMs?.p50)).toBe(true);
    expect(positive(report.floors?.postgres.insertMs?.p50)).toBe(true);
    expect(positive(report.floors?.reader.readPerSecond)).toBe(true);
    expect(report.checks.length).toBeGreaterThan(0);

    expect(JSON.parse(await readFile(jsonFile, 'utf8'))).toMatchObject({
      version: 1,
      modes: [{ mode: 'standard' }],
    });
    expect(await readFile(markdownFile, 'utf8')).toContain('# pricestream bench');
    expect((await stat(markdownFile)).isFile()).toBe(true);
  });
});
