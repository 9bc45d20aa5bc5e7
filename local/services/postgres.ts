import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import EmbeddedPostgres from './embedded-postgres.ts';
import { isAlive } from './processes.ts';

const require = createRequire(import.meta.url);

export interface PostgresService {
  /** postgres://… URL of the database the pipeline uses. */
  url: string;
  /** Process id of the postgres server, when this process started it. */
  pid: number | undefined;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database: string;
  /** Trade durability for speed (tests only): fsync and synchronous commit off. */
  fast?: boolean;
  /** Remove the data directory on stop. */
  ephemeral?: boolean;
  /** Also serve TLS with this certificate and key (PEM), kept in the data directory. */
  ssl?: { cert: string; key: string };
  onLog?: (line: string) => void;
}

export const LOCAL_USER = 'postgres';
export const LOCAL_PASSWORD = 'postgres';

export function localDatabaseUrl(port: number, database: string): string {
  return `postgres://${LOCAL_USER}:${LOCAL_PASSWORD}@127.0.0.1:${port}/${database}`;
}

/**
 * Starts real PostgreSQL from the `embedded-postgres` binaries, listening on
 * 127.0.0.1 only. The cluster is created on first use and kept in `dataDir`.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<PostgresService> {
  await mkdir(path.dirname(options.dataDir), { recursive: true });
  const log: string[] = [];
  const remember = (line: string) => {
    log.push(line);
    if (log.length > 40) log.shift();
    options.onLog?.(line);
  };
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];
  if (options.fast) {
    flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  }
  if (options.ssl) flags.push('-c', 'ssl=on');
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: LOCAL_USER,
    password: LOCAL_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: !options.ephemeral,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: remember,
    onError: (error) => remember(String(error)),
  });

  if (process.getuid?.() === 0) {
    await assertReachableByPostgresUser([
      options.dataDir,
      require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`),
    ]);
  }
  const initialised = existsSync(path.join(options.dataDir, 'PG_VERSION'));
  if (!initialised) await server.initialise();
  if (options.ssl) await writeServerCertificate(options.dataDir, options.ssl);
  await removeStalePidFile(options.dataDir);
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `PostgreSQL did not start on 127.0.0.1:${options.port} (data in ${options.dataDir}). ` +
        `Is the port taken by another server?\n${log.join('').trim().split('\n').slice(-8).join('\n')}`,
      { cause: error },
    );
  }
  await ensureDatabase(localDatabaseUrl(options.port, 'postgres'), options.database);
  // `process` is private in the typings; the pid is what we stop it by.
  const child = (server as unknown as { process?: ChildProcess }).process;
  // The package's own exit hook is gone (see ./embedded-postgres.ts); a
  // process that exits without stop() still asks its server to shut down.
  const stopOnExit = () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  process.on('exit', stopOnExit);
  return {
    url: localDatabaseUrl(options.port, options.database),
    pid: child?.pid,
    stop: async () => {
      process.removeListener('exit', stopOnExit);
      // A server that already exited (signalled with its process group, as
      // by Ctrl-C or `timeout`) never emits 'exit' again, and
      // embedded-postgres' stop() would wait for it forever.
      if (child && (child.exitCode !== null || child.signalCode !== null)) {
        if (options.ephemeral) await rm(options.dataDir, { recursive: true, force: true });
        return;
      }
      await server.stop();
    },
  };
}

/**
 * PostgreSQL reads server.crt and server.key from its data directory and
 * refuses a key that others can read or that its user does not own.
 */
async function writeServerCertificate(
  dataDir: string,
  ssl: { cert: string; key: string },
): Promise<void> {
  const owner = await stat(dataDir);
  for (const [name, pem] of [
    ['server.crt', ssl.cert],
    ['server.key', ssl.key],
  ] as const) {
    const file = path.join(dataDir, name);
    await writeFile(file, pem, { mode: 0o600 });
    await chown(file, owner.uid, owner.gid);
  }
}

/** Creates `database` when it does not exist yet. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    }
  } finally {
    await client.end();
  }
}

/**
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres`
 * user, which must be able to walk to its binaries and its data: a checkout
 * under /root (mode 700) is out of its reach. Say so instead of failing later
 * with a bare "permission denied".
 */
async function assertReachableByPostgresUser(paths: string[]): Promise<void> {
  for (const target of paths) {
    let dir = path.dirname(path.resolve(target));
    while (true) {
      const mode = await stat(dir).then(
        (s) => s.mode,
        () => undefined,
      );
      if (mode !== undefined && (mode & 0o001) === 0) {
        throw new Error(
          `PostgreSQL runs as the "postgres" user when started by root, and that user cannot enter ${dir} ` +
            `(needed for ${target}). Move the checkout (e.g. under /work or /srv), run "chmod o+x ${dir}", ` +
            'or set DATABASE_URL to a PostgreSQL you run yourself.',
        );
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
}

/** A crash leaves postmaster.pid behind; postgres then refuses to start. */
async function removeStalePidFile(dataDir: string): Promise<void> {
  const file = path.join(dataDir, 'postmaster.pid');
  const content = await readFile(file, 'utf8').catch(() => undefined);
  if (content === undefined) return;
  const pid = Number(content.split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return;
  await rm(file, { force: true });
}
