import { describe, expect, it } from 'vitest';
import { parseSoakArgs, UsageError } from '../../scripts/soak/options.ts';
import { growth, type SoakRow, windows } from '../../scripts/soak/verdict.ts';

describe('soak options', () => {
  it('has a full default run and a quick one', () => {
    expect(parseSoakArgs([], {})).toMatchObject({
      rate: 100,
      minutes: 30,
      retentionMinutes: 2,
      sampleSeconds: 60,
      restart: false,
      postgresPort: 54629,
      kinesisPort: 4858,
      dashboardPort: 3059,
    });
    expect(parseSoakArgs(['--quick', '--json'], {})).toMatchObject({
      rate: 20,
      minutes: 1.5,
      retentionMinutes: 0.5,
      sampleSeconds: 9,
      quick: true,
      json: true,
    });
    expect(
      parseSoakArgs(['--minutes=10', '--restart', '--retention-minutes', '2'], {
        PRICESTREAM_SOAK_PG_PORT: '55329',
      }),
    ).toMatchObject({ minutes: 10, restart: true, retentionMinutes: 2, postgresPort: 55329 });
  });

  it('refuses bad arguments and ports in one line naming the option, what it takes and what it got', () => {
    expect(() => parseSoakArgs(['--rate', 'banana'], {})).toThrow(
      new UsageError('--rate must be a number from 1 to 1000, got banana'),
    );
    expect(() => parseSoakArgs(['--every', '2.5'], {})).toThrow(
      new UsageError('--every must be a whole number from 5 to 3600, got 2.5'),
    );
    expect(() => parseSoakArgs(['--now'], {})).toThrow(new UsageError('unknown option --now'));
    expect(() => parseSoakArgs(['--minutes', '5'], {})).toThrow(
      new UsageError('--minutes must be at least 3 retention periods (6), got 5'),
    );
    expect(() => parseSoakArgs([], { PRICESTREAM_SOAK_KINESIS_PORT: 'x' })).toThrow(
      /PRICESTREAM_SOAK_KINESIS_PORT must be a port number, got x/,
    );
  });
});

const row = (at: number, figures: Partial<SoakRow> = {}): SoakRow => ({
  at,
  streamRecords: 12_000,
  saveMb: 6.5,
  put5Ms: 18,
  realtimeP50Ms: 600,
  realtimeP95Ms: 1_200,
  batchP50Ms: 8_000,
  batchP95Ms: 15_500,
  kinesisRssMb: 300,
  runtimeRssMb: 250,
  postgresMb: 40,
  postgresPssMb: 120,
  produced: at * 100,
  ...figures,
});

describe('soak verdict', () => {
  it('compares the last retention period with the second one', () => {
    const rows = [60, 120, 180, 240, 300, 360, 420, 480].map((at) => row(at));
    const { reference, final } = windows(rows, 120);
    expect(reference.map((r) => r.at)).toEqual([180, 240]);
    expect(final.map((r) => r.at)).toEqual([420, 480]);

    // A row every 5 minutes: the first after the first retention period, and the last.
    const sparse = windows(
      [300, 600, 900, 1_200].map((at) => row(at)),
      120,
    );
    expect(sparse.reference.map((r) => r.at)).toEqual([300]);
    expect(sparse.final.map((r) => r.at)).toEqual([1_200]);
  });

  it('passes flat figures and noise within 20 % and the margin, and names what grew', () => {
    const flat = [60, 120, 180, 240, 300, 360, 420, 480].map((at) =>
      row(at, { put5Ms: at === 480 ? 24 : 18, streamRecords: at < 180 ? at * 100 : 12_000 }),
    );
    expect(growth(flat, 120)).toEqual([]);

    const growing = [60, 120, 180, 240, 300, 360, 420, 480].map((at) =>
      row(at, { streamRecords: at * 100, kinesisRssMb: 300 + at }),
    );
    expect(growth(growing, 120).map((g) => g.figure)).toEqual(['streamRecords', 'kinesisRssMb']);
    expect(growth(growing, 120)[0]).toMatchObject({ reference: 21_000, final: 45_000 });
  });

  it('leaves out a figure with no value in either window (the runtime restarting)', () => {
    const rows = [60, 120, 180, 240, 300, 360].map((at) =>
      row(at, at >= 300 ? { runtimeRssMb: null } : {}),
    );
    expect(growth(rows, 120)).toEqual([]);
  });
});
