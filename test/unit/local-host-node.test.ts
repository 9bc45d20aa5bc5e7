import { describe, expect, it } from 'vitest';
import { hostMismatchNotice, nodeMajorOf } from '../../local/lambda/host-node.ts';

const hosted = (displayName: string, runtime: string) => ({ displayName, runtime, code: {} });

describe("the local runtime on another Node.js than the functions' runtime", () => {
  it('reads the major version of a Node.js runtime name', () => {
    expect(nodeMajorOf('nodejs24.x')).toBe(24);
    expect(nodeMajorOf('python3.13')).toBeUndefined();
  });

  it('says once, naming the runtimes, when the host runs an older or a newer Node.js', () => {
    const functions = [hosted('FetchPrices', 'nodejs24.x'), hosted('Rollup', 'nodejs24.x')];

    const older = hostMismatchNotice(functions, '20.19.0');
    const newer = hostMismatchNotice(functions, '26.1.0');

    expect(older).toBe(
      'the functions are built for nodejs24.x but run here on Node.js 20.19.0: ' +
        'code that works on one can fail on the other. Start through npm (npm start), ' +
        "which runs the project's own Node.js from node_modules (npm ci installs it)",
    );
    expect(newer).toContain('run here on Node.js 26.1.0');
  });

  it('says nothing on the same major, or when the other function is not run locally', () => {
    expect(hostMismatchNotice([hosted('FetchPrices', 'nodejs24.x')], '24.1.0')).toBeUndefined();
    expect(
      hostMismatchNotice(
        [{ displayName: 'Helper', runtime: 'nodejs24.x', code: undefined }],
        '20.19.0',
      ),
    ).toBeUndefined();
  });
});
