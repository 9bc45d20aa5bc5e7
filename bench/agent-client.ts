/** Starts bench/agent.ts as a child process and sends it requests. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AgentReply, AgentRequest } from './agent.ts';
import type { KinesisFloor, PostgresFloor, ReaderFloor } from './floors.ts';
import type { LoadRequest, LoadResult } from './load.ts';

const AGENT = fileURLToPath(new URL('./agent.ts', import.meta.url));

export class BenchAgent {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: AgentReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.result);
      else waiter.reject(new Error(`bench agent: ${reply.error}`));
    });
    child.on('exit', (code, signal) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`bench agent exited (${signal ?? code})`));
      }
      this.pending.clear();
    });
  }

  static start(): BenchAgent {
    const child = fork(AGENT, [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_REGION: 'us-east-1',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new BenchAgent(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  load(endpoint: string, load: LoadRequest): Promise<LoadResult> {
    return this.send({ kind: 'load', endpoint, load }) as Promise<LoadResult>;
  }

  kinesisFloor(endpoint: string, samples: number, intervalMs: number): Promise<KinesisFloor> {
    return this.send({
      kind: 'kinesisFloor',
      endpoint,
      samples,
      intervalMs,
    }) as Promise<KinesisFloor>;
  }

  readerFloor(
    endpoint: string,
    options: { records: number; shards: number; symbols: string[] },
  ): Promise<ReaderFloor> {
    return this.send({ kind: 'readerFloor', endpoint, ...options }) as Promise<ReaderFloor>;
  }

  postgresFloor(databaseUrl: string, samples: number): Promise<PostgresFloor> {
    return this.send({ kind: 'postgresFloor', databaseUrl, samples }) as Promise<PostgresFloor>;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private send(request: AgentRequest): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, request }, (error) => {
        if (error) {
          this.pending.delete(id);
          reject(error);
        }
      });
    });
  }
}
