/**
 * One Node.js major everywhere: the functions' Lambda runtime, the esbuild
 * target, the `node` package every npm script runs on, and `engines`. They
 * are named in cdk/node-version.ts and package.json; this fails when the two
 * disagree, or when a script does not run on the pinned Node.js.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LAMBDA_NODE_RUNTIME, NODE_MAJOR } from '../../cdk/node-version.ts';

const root = new URL('../../', import.meta.url);
interface PackageJson {
  optionalDependencies: Record<string, string>;
  engines: Record<string, string>;
}
interface PackageLock {
  packages: Record<string, { version: string }>;
}
const readJson = async <T>(file: string): Promise<T> =>
  JSON.parse(await readFile(new URL(file, root), 'utf8')) as T;
const major = (version: string) => Number(/^v?(\d+)\./.exec(version)?.[1]);

describe('the Node.js version', () => {
  it('is pinned in package.json to the major of the Lambda runtime', async () => {
    const pkg = await readJson<PackageJson>('package.json');
    const lock = await readJson<PackageLock>('package-lock.json');
    const pinned = pkg.optionalDependencies.node ?? 'not pinned';
    const locked = lock.packages['node_modules/node'];

    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(major(pinned)).toBe(NODE_MAJOR);
    expect(locked?.version).toBe(pinned);
    expect(pkg.engines.node).toBe(`${NODE_MAJOR}.x`);
    expect(LAMBDA_NODE_RUNTIME).toBe(`nodejs${NODE_MAJOR}.x`);
  });

  it('runs this test, and what npm starts, on that major', async () => {
    const { stdout } = await promisify(execFile)(
      'npm',
      ['exec', '--no', '--', 'node', '-p', 'process.version'],
      {
        cwd: new URL('.', root).pathname,
      },
    );

    expect(major(process.version)).toBe(NODE_MAJOR);
    expect(major(stdout.trim())).toBe(NODE_MAJOR);
  });
});
