/**
 * One Node.js major everywhere: the functions' Lambda runtime, the esbuild
 * target, the `node` package every npm script runs on, and `engines`. They
 * are named in cdk/node-version.ts and package.json; this fails when the two
 * disagree, or when a script does not run on the pinned Node.js.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { delimiter } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LAMBDA_NODE_RUNTIME, NODE_MAJOR } from '../../cdk/node-version.ts';

const root = new URL('../../', import.meta.url);
interface PackageJson {
  optionalDependencies: Record<string, string>;
  engines: Record<string, string>;
  devEngines: { runtime: { name: string; version: string } };
}
interface PackageLock {
  packages: Record<string, { version: string }>;
}
const readJson = async <T>(file: string): Promise<T> =>
  JSON.parse(await readFile(new URL(file, root), 'utf8')) as T;
const major = (version: string) => Number(/^v?(\d+)\./.exec(version)?.[1]);

/** The path without node_modules folders: what runs the machine's own npm and Node.js. */
const machinePath = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => dir !== '' && !dir.includes('node_modules'))
  .join(delimiter);

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
    // npm runs on the machine's Node.js: devEngines names what may run it.
    expect(pkg.devEngines.runtime).toEqual({ name: 'node', version: '>=20.19', onFail: 'error' });
  });

  it("installs with the machine's npm and Node.js without a Node.js version warning", async () => {
    // What a newcomer's `npm ci` checks, on the Node.js that runs npm (20 on
    // the development machine), without writing anything.
    const env = { ...process.env, PATH: machinePath, npm_config_loglevel: undefined };
    const { stdout, stderr } = await promisify(execFile)(
      'npm',
      ['install', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'],
      { cwd: new URL('.', root).pathname, env },
    );
    const machine = (
      await promisify(execFile)('node', ['-p', 'process.version'], { env })
    ).stdout.trim();

    expect(`${machine}\n${stdout}${stderr}`).not.toMatch(
      /EBADENGINE|EBADDEVENGINES|Unsupported engine|node: '/,
    );
  }, 60_000);

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
