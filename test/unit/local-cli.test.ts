import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, USAGE, UsageError } from '../../local/cli.ts';
import { PROJECT_DIR, resolveSettings } from '../../local/runtime.ts';
import { displayUrl } from '../../local/shared/display-url.ts';

describe('parseArgs', () => {
  it('defaults to synthesizing when stale, quiet, the stack’s own price source, rate rules firing at start', () => {
    expect(parseArgs([])).toEqual({
      source: undefined,
      retentionMinutes: undefined,
      synth: 'if-stale',
      verbose: false,
      help: false,
      context: {},
      rateStart: 'now',
    });
    expect(parseArgs(['--synth']).synth).toBe(true);
  });

  it('reads --source in both spellings, --no-synth and --verbose', () => {
    expect(parseArgs(['--source', 'sim', '--no-synth', '--verbose'])).toMatchObject({
      source: 'sim',
      retentionMinutes: undefined,
      synth: false,
      verbose: true,
      help: false,
    });
    expect(parseArgs(['--source=coinbase']).source).toBe('coinbase');
  });

  it('takes -c KEY=VALUE context as cdk synth does, repeated, values with = and spaces', () => {
    const options = parseArgs([
      '-c',
      'pricestream:rollup.schedule=cron(* * * * ? *)',
      '--context=pricestream:shardCount=4',
      '--rate-start',
      'period',
    ]);

    expect(options.context).toEqual({
      'pricestream:rollup.schedule': 'cron(* * * * ? *)',
      'pricestream:shardCount': '4',
    });
    expect(options.rateStart).toBe('period');
  });

  it('answers a wrong option or value in one line naming the option, the allowed values and what it got', () => {
    expect(() => parseArgs(['--source', 'binance'])).toThrow(UsageError);
    expect(() => parseArgs(['--source', 'binance'])).toThrow(
      '--source must be coinbase, sim or auto, got binance',
    );
    expect(() => parseArgs(['--rate-start', 'soon'])).toThrow(
      '--rate-start must be now or period, got soon',
    );
    expect(() => parseArgs(['--source'])).toThrow(/--source <value>' argument missing/);
    expect(() => parseArgs(['--fast'])).toThrow(/Unknown option '--fast'/);
    expect(() => parseArgs(['-c', 'shardCount'])).toThrow(
      '--context takes KEY=VALUE (e.g. pricestream:shardCount=4), got shardCount',
    );
    expect(() => parseArgs(['--no-synth', '-c', 'a=b'])).toThrow(
      '--context needs a synthesis: leave out --no-synth',
    );
  });

  it('reads --retention-minutes, and refuses what is not a number of minutes in one line', () => {
    expect(parseArgs(['--retention-minutes', '2']).retentionMinutes).toBe(2);
    expect(parseArgs(['--retention-minutes=0.5']).retentionMinutes).toBe(0.5);
    for (const bad of ['banana', '0', '-3', '']) {
      expect(() => parseArgs([`--retention-minutes=${bad}`])).toThrow(
        new UsageError(
          `--retention-minutes must be a number of minutes from 0.1 to 525600, got ${bad}`,
        ),
      );
    }
    expect(() => parseArgs(['--retention-minutes'])).toThrow(
      /--retention-minutes <value>' argument missing/,
    );
  });
});

describe('USAGE', () => {
  it('lists every PRICESTREAM_ variable the local runtime reads', () => {
    const read = new Set<string>();
    const files = readdirSync(path.join(PROJECT_DIR, 'local'), {
      recursive: true,
      encoding: 'utf8',
    });
    for (const file of files.filter((f) => /\.(ts|cjs|mjs)$/.test(f))) {
      const source = readFileSync(path.join(PROJECT_DIR, 'local', file), 'utf8');
      for (const [name] of source.matchAll(/PRICESTREAM_[A-Z_]+/g)) read.add(name);
    }
    // Set by npm start for the process it supervises, not by users.
    read.delete('PRICESTREAM_RUNTIME_SUPERVISED');

    const missing = [...read].filter((name) => !USAGE.includes(name));

    expect(read.size).toBeGreaterThan(5);
    expect(missing).toEqual([]);
  });
});

describe('displayUrl', () => {
  it('hides passwords other than the well-known local one', () => {
    expect(displayUrl('postgres://postgres:postgres@127.0.0.1:54329/pricestream')).toBe(
      'postgres://postgres:postgres@127.0.0.1:54329/pricestream',
    );
    expect(displayUrl('postgres://app:s3cret@db.example.com/prices')).toBe(
      'postgres://app:****@db.example.com/prices',
    );
  });
});

describe('resolveSettings', () => {
  it('uses the documented local defaults', () => {
    expect(resolveSettings({ env: {} })).toEqual({
      projectDir: PROJECT_DIR,
      cdkOut: path.join(PROJECT_DIR, 'cdk.out'),
      dataDir: path.join(PROJECT_DIR, '.data'),
      databaseUrl: undefined,
      kinesisEndpoint: undefined,
      postgresPort: 54329,
      kinesisPort: 4568,
      database: 'pricestream',
      region: 'us-east-1',
      account: '000000000000',
      startWaitMs: 60_000,
    });
  });

  it('reads ports, directories and external services from the environment', () => {
    const settings = resolveSettings({
      env: {
        PRICESTREAM_PG_PORT: '55000',
        PRICESTREAM_KINESIS_PORT: '4700',
        PRICESTREAM_DATA_DIR: '/tmp/second',
        PRICESTREAM_CDK_OUT: 'cdk.out.e2e',
        DATABASE_URL: 'postgres://u:p@h/db',
        AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:4999',
        PRICESTREAM_START_WAIT_SECONDS: '15',
      },
    });

    expect(settings).toMatchObject({
      postgresPort: 55000,
      kinesisPort: 4700,
      dataDir: '/tmp/second',
      cdkOut: path.join(PROJECT_DIR, 'cdk.out.e2e'),
      databaseUrl: 'postgres://u:p@h/db',
      kinesisEndpoint: 'http://127.0.0.1:4999',
      startWaitMs: 15_000,
    });
  });

  it('lets options win over the environment and rejects bad ports', () => {
    expect(
      resolveSettings({ env: { PRICESTREAM_PG_PORT: '1' }, postgresPort: 2 }).postgresPort,
    ).toBe(2);
    expect(() => resolveSettings({ env: { PRICESTREAM_KINESIS_PORT: 'abc' } })).toThrow(
      /PRICESTREAM_KINESIS_PORT must be a port number/,
    );
    expect(() => resolveSettings({ env: { PRICESTREAM_START_WAIT_SECONDS: 'soon' } })).toThrow(
      'PRICESTREAM_START_WAIT_SECONDS must be a number of seconds, got "soon"',
    );
  });
});
