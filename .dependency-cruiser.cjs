/**
 * The import graph's rules (dependency-cruiser), checked by
 * test/unit/import-graph.test.ts. Type-only imports count: a cycle of types
 * is still a knot to untie.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other, directly or around a loop.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'bench-not-to-scripts',
      severity: 'error',
      comment: 'bench/ does not reach into scripts/: move what both need to local/shared/.',
      from: { path: '^bench/' },
      to: { path: '^scripts/' },
    },
    {
      name: 'lambdas-self-contained',
      severity: 'error',
      comment:
        'lambdas/ is what runs inside a function; it imports no runtime, command or test code.',
      from: { path: '^lambdas/' },
      to: { path: '^(local|scripts|bench|test)/' },
    },
    {
      name: 'local-not-to-commands',
      severity: 'error',
      comment: 'The local runtime is below the commands and benchmarks that use it.',
      from: { path: '^local/' },
      to: { path: '^(scripts|bench|test)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|cdk\\.out)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
