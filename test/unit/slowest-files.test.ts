/**
 * The summary `npm test` prints at its end: each project's span and the ten
 * slowest files, slowest first, failures marked.
 */
import { describe, expect, it } from 'vitest';
import {
  type FileDuration,
  projectSpans,
  renderDurations,
} from '../../test/support/slowest-files.ts';

const file = (
  project: string,
  name: string,
  ms: number,
  endMs: number,
  state = 'passed',
): FileDuration => ({
  project,
  file: `test/${project}/${name}.test.ts`,
  ms,
  endMs,
  tests: 2,
  state,
});

describe('the slowest files summary', () => {
  it("spans each project from its first file's start to its last file's end", () => {
    const files = [
      file('e2e', 'pipeline', 60_000, 70_000), // 10 s to 70 s
      file('e2e', 'chaos', 100_000, 130_000), // 30 s to 130 s
      file('unit', 'tick', 500, 1_000),
    ];

    expect(projectSpans(files)).toEqual([
      { project: 'e2e', files: 2, tests: 4, ms: 120_000 },
      { project: 'unit', files: 1, tests: 2, ms: 500 },
    ]);
  });

  it('lists the ten slowest files, slowest first, and says which did not pass', () => {
    const files = Array.from({ length: 12 }, (_, i) =>
      file('integration', `f${i}`, (i + 1) * 1_000, 20_000, i === 11 ? 'failed' : 'passed'),
    );

    const lines = renderDurations(files, 25_000).trimEnd().split('\n');
    const listed = lines.slice(lines.indexOf(' The 10 slowest test files:') + 1);

    expect(lines).toContain('   integration   12.0 s  12 files, 24 tests');
    expect(listed).toHaveLength(10);
    expect(listed[0]).toBe('     12.0 s  integration test/integration/f11.test.ts (failed)');
    expect(listed[9]).toBe('      3.0 s  integration test/integration/f2.test.ts');
    expect(lines[1]).toContain('the whole run 25.0 s');
  });
});
