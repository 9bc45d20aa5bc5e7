import { describe, expect, it } from 'vitest';
import { nodeMajorOf, olderHostNotice } from '../../local/lambda/host-node.ts';

const hosted = (displayName: string, runtime: string) => ({ displayName, runtime, code: {} });

describe('the local runtime on an older Node.js', () => {
  it('reads the major version of a Node.js runtime name', () => {
    expect(nodeMajorOf('nodejs24.x')).toBe(24);
    expect(nodeMajorOf('python3.13')).toBeUndefined();
  });

  it('says once, naming the runtimes, when the template asks for a newer Node.js than the host', () => {
    const notice = olderHostNotice(
      [hosted('FetchPrices', 'nodejs24.x'), hosted('Rollup', 'nodejs24.x')],
      '20.19.0',
    );

    expect(notice).toBe(
      "the functions are built for nodejs24.x and run here on this machine's Node.js 20.19.0, " +
        'as they are (nothing is transpiled again): code that needs a newer Node.js API would fail here, not on Lambda',
    );
  });

  it('says nothing when the host is as new, or the newer function is not run locally', () => {
    expect(olderHostNotice([hosted('FetchPrices', 'nodejs24.x')], '24.1.0')).toBeUndefined();
    expect(
      olderHostNotice(
        [{ displayName: 'Helper', runtime: 'nodejs24.x', code: undefined }],
        '20.19.0',
      ),
    ).toBeUndefined();
  });
});
