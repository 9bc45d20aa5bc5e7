import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

// kinesis-local accepts any credentials; the SDK still wants some.
const localAws = {
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_REGION: 'us-east-1',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

// Synthesized stacks shared by the files and the commands they run
// (test/support/assembly.ts, local/assembly/assembly-cache.ts).
const assemblyCache = {
  PRICESTREAM_ASSEMBLY_CACHE:
    process.env.PRICESTREAM_ASSEMBLY_CACHE ??
    path.join(ROOT, 'node_modules', '.cache', 'pricestream', 'assemblies'),
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          env: localAws,
        },
      },
      {
        test: {
          name: 'cdk',
          include: ['test/cdk/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/services.ts'],
          env: { ...localAws, ...assemblyCache },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          // Each file runs a whole pipeline; one at a time on a laptop.
          fileParallelism: false,
          include: ['test/e2e/**/*.test.ts'],
          env: { ...localAws, ...assemblyCache },
          testTimeout: 240_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
