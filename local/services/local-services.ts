/**
 * PostgreSQL and Kinesis for the local runtime: embedded ones started here,
 * or external ones given by URL.
 */
import path from 'node:path';
import { type KinesisService, startKinesisLocal } from './kinesis.ts';
import {
  guardServices,
  KINESIS_STOP,
  POSTGRES_STOP,
  type ServiceRecord,
  stopLeftovers,
} from './leftovers.ts';
import { type PostgresService, startEmbeddedPostgres } from './postgres.ts';

export interface ServiceSettings {
  /** Use this database instead of starting PostgreSQL. */
  databaseUrl: string | undefined;
  /** Use this Kinesis endpoint instead of starting kinesis-local. */
  kinesisEndpoint: string | undefined;
  dataDir: string;
  postgresPort: number;
  kinesisPort: number;
  database: string;
}

export interface RunningServices {
  databaseUrl: string;
  kinesisEndpoint: string;
  /** Process ids of the servers started here. */
  postgresPid: number | undefined;
  kinesisPid: number | undefined;
  /** Stops the servers started here (external ones are left alone). */
  stop(): Promise<void>;
}

export async function startServices(
  settings: ServiceSettings,
  onLog?: (service: 'postgres' | 'kinesis', line: string) => void,
  onNotice?: (line: string) => void,
): Promise<RunningServices> {
  if (!settings.databaseUrl || !settings.kinesisEndpoint) {
    const stopped = await stopLeftovers(settings.dataDir);
    if (stopped) onNotice?.(stopped);
  }
  const [postgres, kinesis] = await Promise.allSettled([
    settings.databaseUrl
      ? Promise.resolve(undefined)
      : startEmbeddedPostgres({
          dataDir: path.join(settings.dataDir, 'postgres'),
          port: settings.postgresPort,
          database: settings.database,
          ...(onLog ? { onLog: (line: string) => onLog('postgres', line) } : {}),
        }),
    settings.kinesisEndpoint
      ? Promise.resolve(undefined)
      : startKinesisLocal({
          port: settings.kinesisPort,
          persistDir: path.join(settings.dataDir, 'kinesis'),
          ...(onLog ? { onLog: (line: string) => onLog('kinesis', line) } : {}),
        }),
  ]);
  const started: Array<PostgresService | KinesisService> = [];
  const records: ServiceRecord[] = [];
  const pgDir = path.join(settings.dataDir, 'postgres');
  if (postgres.status === 'fulfilled' && postgres.value) {
    started.push(postgres.value);
    if (postgres.value.pid) {
      records.push({ name: 'PostgreSQL', pid: postgres.value.pid, mark: pgDir, ...POSTGRES_STOP });
    }
  }
  if (kinesis.status === 'fulfilled' && kinesis.value) {
    started.push(kinesis.value);
    if (kinesis.value.pid) {
      records.push({
        name: 'kinesis-local',
        pid: kinesis.value.pid,
        mark: 'kinesis-local',
        ...KINESIS_STOP,
      });
    }
  }
  // If this process dies without stopping them, the watchdog does.
  const guard = await guardServices(settings.dataDir, records);
  const stop = async () => {
    await guard.release();
    // Kinesis first: PostgreSQL holds the checkpoints and should see the last writes.
    for (const service of [...started].reverse()) await service.stop();
  };
  const failure = [postgres, kinesis].find((result) => result.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  const pg = postgres.status === 'fulfilled' ? postgres.value : undefined;
  const kl = kinesis.status === 'fulfilled' ? kinesis.value : undefined;
  return {
    databaseUrl: settings.databaseUrl ?? (pg as PostgresService).url,
    kinesisEndpoint: settings.kinesisEndpoint ?? (kl as KinesisService).endpoint,
    postgresPid: pg?.pid,
    kinesisPid: kl?.pid,
    stop,
  };
}
