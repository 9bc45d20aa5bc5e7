import { describe, expect, it } from 'vitest';
import { parseStudyArgs, UsageError } from '../../bench/study/options.ts';
import { planSweep } from '../../bench/study/sweep.ts';

describe('study options and sweep', () => {
  it('sweeps windows × sizes and both read modes at two loads by default', () => {
    const options = parseStudyArgs([]);
    expect(options).toMatchObject({
      windows: [0, 1, 5, 15, 30],
      sizes: [1, 100, 1000],
      modes: ['standard', 'efo'],
      loads: ['original', 100],
      postgresPort: 54419,
      kinesisPort: 4648,
    });
    const sweep = planSweep(options, 5);
    expect(sweep.settings).toHaveLength(2 * (15 + 2));
    // One stack per batched setting; enhanced fan-out rides on the last one.
    expect(sweep.assemblies).toHaveLength(15);
    expect(sweep.assemblies.filter((a) => a.enhancedFanOut)).toEqual([
      { key: 'w30-b1000-efo', batchingWindowSeconds: 30, batchSize: 1000, enhancedFanOut: true },
    ]);
    const original = sweep.settings.filter((s) => s.load === 'original');
    expect(original.every((s) => s.offeredPerSecond === 0.5 && s.loadSeconds === 180)).toBe(true);
    expect(sweep.settings.find((s) => s.id === 'batch w15 b1000 @100/s')).toMatchObject({
      consumer: 'batch',
      batchingWindowSeconds: 15,
      batchSize: 1000,
      offeredPerSecond: 100,
      loadSeconds: 20,
      assembly: 'w15-b1000',
    });
  });

  it('keeps --quick to six settings at 100 records/s', () => {
    const sweep = planSweep(parseStudyArgs(['--quick']), 5);
    expect(sweep.settings.map((s) => s.id)).toEqual([
      'realtime standard @100/s',
      'realtime efo @100/s',
      'batch w0 b1000 @100/s',
      'batch w1 b1000 @100/s',
      'batch w2 b1000 @100/s',
      'batch w4 b1000 @100/s',
    ]);
    // Synthesized in the order the settings need them.
    expect(sweep.assemblies.map((a) => a.key)).toEqual([
      'w0-b1000',
      'w4-b1000-efo',
      'w1-b1000',
      'w2-b1000',
    ]);
  });

  it('gives the per-record consumer a stack of its own when there is no batched setting', () => {
    const sweep = planSweep(parseStudyArgs(['--windows', '', '--loads', '50']), 5);
    expect(sweep.settings.map((s) => s.id)).toEqual([
      'realtime standard @50/s',
      'realtime efo @50/s',
    ]);
    expect(sweep.assemblies.map((a) => a.key)).toEqual(['w15-b1000', 'w15-b1000-efo']);
  });

  it('refuses what it cannot run', () => {
    expect(() => parseStudyArgs(['--windows', '301'])).toThrow(UsageError);
    expect(() => parseStudyArgs(['--modes', 'kafka'])).toThrow(UsageError);
    expect(() => parseStudyArgs(['--name', '../x'])).toThrow(UsageError);
    expect(() => parseStudyArgs(['--windows', '', '--modes', ''])).toThrow(UsageError);
  });
});
