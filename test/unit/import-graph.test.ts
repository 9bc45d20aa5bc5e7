/**
 * The import graph follows the layout's one-way arrows (.dependency-cruiser.cjs):
 * no cycles, bench/ not into scripts/, lambdas/ self-contained, the local
 * runtime below the commands. Checked with dependency-cruiser on the real tree.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseOptions, type IForbiddenRuleType } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as {
  forbidden: IForbiddenRuleType[];
  options: ICruiseOptions;
};

async function violations(paths: string[]): Promise<string[]> {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const { output } = await cruise(paths, {
      ...config.options,
      tsConfig: undefined,
      validate: true,
      ruleSet: { forbidden: config.forbidden },
    });
    if (typeof output === 'string') throw new Error(`unexpected output: ${output}`);
    return output.summary.violations.map(
      (v) =>
        `${v.rule.name}: ${v.from} → ${v.cycle ? v.cycle.map((c) => c.name).join(' → ') : v.to}`,
    );
  } finally {
    process.chdir(cwd);
  }
}

describe('the import graph', () => {
  it('has no cycle and no import against the layout', async () => {
    const found = await violations(['cdk', 'lambdas', 'local', 'scripts', 'bench']);

    expect(found).toEqual([]);
  }, 30_000);

  it('reports a cycle, type-only imports included', async () => {
    const found = await violations(['test/fixtures/import-graph']);

    expect(found).toEqual([
      expect.stringMatching(/^no-circular: test\/fixtures\/import-graph\/cycle-[ab]\.ts → /),
    ]);
  });
});
