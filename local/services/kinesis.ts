import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KINESIS_STOP } from './leftovers.ts';

export interface KinesisService {
  /** http:// endpoint for the AWS SDK. */
  endpoint: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

export interface KinesisLocalOptions {
  /** Plain HTTP port (the SDK's). The TLS port is this minus one. */
  port: number;
  /** Keep streams and records on disk here; in memory when absent. */
  persistDir?: string;
  /**
   * Seconds between saves while running. Default 5: a save writes every
   * record of every stream as one JSON file, which costs a core once the
   * streams hold tens of thousands of records; a stop (SIGTERM, which the
   * runtime and its watchdog send) saves everything anyway.
   */
  persistIntervalSeconds?: number;
  /** kinesis-local's own timings, e.g. CREATE_STREAM_DURATION. */
  extraEnv?: Record<string, string>;
  onLog?: (line: string) => void;
}

const require = createRequire(import.meta.url);
const loopbackShim = fileURLToPath(new URL('./bind-loopback.cjs', import.meta.url));

/**
 * Starts kinesis-local (kinesis-mock compiled to JavaScript, the engine
 * LocalStack uses for Kinesis) as a child process on 127.0.0.1.
 */
export async function startKinesisLocal(options: KinesisLocalOptions): Promise<KinesisService> {
  const main = require.resolve('kinesis-local/main.js');
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    KINESIS_MOCK_PLAIN_PORT: String(options.port),
    KINESIS_MOCK_TLS_PORT: String(options.port - 1),
    KINESIS_MOCK_CERT_PATH: path.join(path.dirname(main), 'server.json'),
    CREATE_STREAM_DURATION: '100ms',
    DELETE_STREAM_DURATION: '100ms',
    REGISTER_STREAM_CONSUMER_DURATION: '100ms',
    LOG_LEVEL: 'WARN',
    ...options.extraEnv,
  };
  if (options.persistDir) {
    await mkdir(options.persistDir, { recursive: true });
    Object.assign(env, {
      SHOULD_PERSIST_DATA: 'true',
      LOAD_DATA_IF_EXISTS: 'true',
      PERSIST_PATH: options.persistDir,
      PERSIST_INTERVAL: `${options.persistIntervalSeconds ?? 5}s`,
    });
  }
  if (await portInUse(options.port)) {
    throw new Error(
      `kinesis-local cannot start: 127.0.0.1:${options.port} is already in use. ` +
        'Stop the other server or set AWS_ENDPOINT_URL_KINESIS to use it.',
    );
  }
  const child = spawn(process.execPath, ['--require', loopbackShim, main], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      options.onLog?.(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  try {
    await waitForPort(options.port, child, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(
      `kinesis-local did not start on port ${options.port}: ${String(error)}\n${tail.join('\n')}`,
    );
  }
  return {
    endpoint: `http://127.0.0.1:${options.port}`,
    pid: child.pid,
    stop: () => stopChild(child, KINESIS_STOP.graceMs),
  };
}

export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    if (await portInUse(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms`);
}
