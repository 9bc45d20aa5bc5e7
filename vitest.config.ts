import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import LongestFirst from './test/support/sequencer.ts';

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

/**
 * Files at once, across all four projects (one pool: vitest runs projects
 * with the same maxWorkers side by side). Most of an e2e or integration file's
 * time is spent waiting (a batching window, a server starting, a poll), so
 * three files keep two cores busy; PRICESTREAM_TEST_WORKERS overrides it.
 */
const WORKERS = workers(process.env.PRICESTREAM_TEST_WORKERS);

function workers(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 3;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`PRICESTREAM_TEST_WORKERS must be a whole number from 1, got ${raw}`);
  }
  return value;
}

export default defineConfig({
  test: {
    maxWorkers: WORKERS,
    sequence: { sequencer: LongestFirst },
    reporters: ['default', './test/support/slowest-files.ts'],
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
          // The files only read templates: one module graph per worker, so
          // aws-cdk-lib is loaded, and each configuration synthesized
          // (test/cdk/synth.ts caches them), once per worker, not once per file.
          isolate: false,
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/services.ts', 'test/support/chromium-setup.ts'],
          env: { ...localAws, ...assemblyCache },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          // Each file runs its own pipeline on its own ports and data folder.
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/chromium-setup.ts'],
          env: { ...localAws, ...assemblyCache },
          testTimeout: 240_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
