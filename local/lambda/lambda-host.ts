/**
 * Runs bundled Lambda functions in worker threads. One Worker is one
 * execution environment: it loads the bundle once (the cold start), keeps its
 * module state between invocations, has its own `process.env`, and serves one
 * invocation at a time. Each function has a pool of them, grown on demand.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { StoppedError } from '../shared/backoff.ts';
import { forEachLine } from '../shared/line-splitter.ts';
import type { InvocationReport, RuntimeEvents } from '../shared/runtime-events.ts';
import { type FaultPlan, pickFault } from './faults.ts';

export interface HostedFunction {
  /** Short name used in logs and to look the function up. */
  name: string;
  functionName: string;
  arn: string;
  entryFile: string;
  /** Export path in the module, e.g. `handler`. */
  handlerPath: string;
  /** The function's variables, local overlays included. The host adds Lambda's reserved ones. */
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  logGroupName?: string;
  region?: string;
  /** Limit on concurrent environments (ReservedConcurrentExecutions); extra invocations wait. */
  reservedConcurrency?: number;
  /** The template's runtime (`nodejs24.x`), for AWS_EXECUTION_ENV. @default nodejs24.x */
  runtime?: string;
}

/** A failed invocation: what Lambda returns as errorType / errorMessage. */
export class FunctionError extends Error {
  constructor(
    /** The handler's error name, or Lambda's (`Sandbox.Timedout`, `Runtime.ExitError`…). */
    readonly errorType: string,
    message: string,
    readonly functionName: string,
    readonly requestId: string,
    readonly remoteStack?: string,
  ) {
    super(message);
    this.name = errorType;
  }
}

interface RemoteError {
  name: string;
  message: string;
  stack?: string;
}

type WorkerMessage =
  | { type: 'ready'; initDurationMs: number }
  | { type: 'init-error'; error: RemoteError }
  | { type: 'result'; requestId: string; ok: true; json: string }
  | { type: 'result'; requestId: string; ok: false; error: RemoteError };

interface PendingInvocation {
  requestId: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

const WORKER_FILE = new URL('./lambda-worker.mjs', import.meta.url);

type OutputStream = 'stdout' | 'stderr';

/** Waits for the end of one invocation's output on both streams. */
interface OutputEnd {
  streams: Set<OutputStream>;
  resolve(): void;
  done: Promise<void>;
}

class ExecutionEnvironment {
  readonly worker: Worker;
  readonly ready: Promise<number>;
  readonly logStreamName: string;
  /** The invocation being served, or the last one. */
  requestId: string | undefined;
  dead = false;
  private pending: PendingInvocation | undefined;
  /** The line the worker writes on each stream after an invocation's output (see lambda-worker.mjs). */
  private readonly endMarker = `\u001eend-of-invocation ${randomBytes(8).toString('hex')}`;
  /**
   * Per stream, the invocations whose output has not ended yet, oldest first:
   * a line belongs to the first (output arrives on its own channel, so it may
   * come after the result, even after the next invocation started).
   */
  private readonly open: Record<OutputStream, string[]> = { stdout: [], stderr: [] };
  private readonly lastEnded: Record<OutputStream, string | undefined> = {
    stdout: undefined,
    stderr: undefined,
  };
  private readonly outputEnds = new Map<string, OutputEnd>();

  constructor(
    readonly fn: HostedFunction,
    events: RuntimeEvents,
    /** Told once when the Worker dies (a crash, an exit, even while idle). */
    private readonly onDeath: (env: ExecutionEnvironment) => void = () => {},
  ) {
    const now = new Date();
    const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
    this.logStreamName = `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
    const enableSourceMaps = /--enable-source-maps/.test(fn.environment.NODE_OPTIONS ?? '');
    this.worker = new Worker(WORKER_FILE, {
      // A clean Node.js, without the tsx loader this process may run under.
      execArgv: [],
      env: this.environment(),
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(64, fn.memoryMb) },
      workerData: {
        entryFile: fn.entryFile,
        handlerPath: fn.handlerPath,
        functionName: fn.functionName,
        functionVersion: '$LATEST',
        invokedFunctionArn: fn.arn,
        memoryLimitInMB: fn.memoryMb,
        logGroupName: this.logGroupName,
        logStreamName: this.logStreamName,
        enableSourceMaps,
        endMarker: this.endMarker,
      },
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const emit = (line: string) =>
        events.emit('log', {
          function: fn.name,
          functionName: fn.functionName,
          stream,
          line,
          requestId: this.open[stream][0] ?? this.lastEnded[stream] ?? this.requestId,
          time: new Date(),
        });
      forEachLine(this.worker[stream], (line) => {
        const at = line.indexOf(this.endMarker);
        if (at < 0) return emit(line);
        // Output without a final newline ends up on the marker's line.
        if (at > 0) emit(line.slice(0, at));
        this.ended(stream, line.slice(at + this.endMarker.length).trim());
      });
    }

    this.ready = new Promise<number>((resolve, reject) => {
      this.worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') resolve(message.initDurationMs);
        else if (message.type === 'init-error') {
          reject(this.remoteError(message.error, this.requestId ?? ''));
        } else this.settle(message);
      });
      const fail = (error: Error) => {
        if (!this.dead) this.onDeath(this);
        this.dead = true;
        // A dead Worker writes nothing more: whoever waits for output has it all.
        for (const end of this.outputEnds.values()) end.resolve();
        this.outputEnds.clear();
        reject(error);
        this.pending?.reject(error);
        this.pending = undefined;
      };
      this.worker.on('error', (error) => {
        const code = (error as NodeJS.ErrnoException).code;
        fail(
          new FunctionError(
            code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'Runtime.OutOfMemory' : error.name || 'Error',
            code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? `Runtime exited: out of memory (${fn.memoryMb} MB)`
              : error.message,
            fn.functionName,
            this.requestId ?? '',
            error.stack,
          ),
        );
      });
      this.worker.on('exit', (code) => {
        fail(
          new FunctionError(
            'Runtime.ExitError',
            `RequestId: ${this.requestId ?? '-'} Error: Runtime exited with error: exit status ${code}`,
            fn.functionName,
            this.requestId ?? '',
          ),
        );
      });
    });
    // A failed init is reported by the invocation that waits for it.
    this.ready.catch(() => {});
  }

  get logGroupName(): string {
    return this.fn.logGroupName ?? `/aws/lambda/${this.fn.functionName}`;
  }

  /**
   * Resolves once all of `requestId`'s output has arrived (or the Worker is
   * gone). Ask before run(): the end may arrive before the result.
   */
  outputEnded(requestId: string): Promise<void> {
    let end = this.outputEnds.get(requestId);
    if (!end) {
      let resolve = () => {};
      const done = new Promise<void>((r) => {
        resolve = r;
      });
      end = { streams: new Set(), resolve, done };
      if (this.dead) resolve();
      else this.outputEnds.set(requestId, end);
    }
    return end.done;
  }

  private ended(stream: OutputStream, requestId: string): void {
    const open = this.open[stream];
    const index = open.indexOf(requestId);
    if (index >= 0) open.splice(0, index + 1);
    this.lastEnded[stream] = requestId;
    const end = this.outputEnds.get(requestId);
    if (!end) return;
    end.streams.add(stream);
    if (end.streams.size === 2) {
      this.outputEnds.delete(requestId);
      end.resolve();
    }
  }

  run(requestId: string, event: unknown, deadline: number): Promise<unknown> {
    this.requestId = requestId;
    this.open.stdout.push(requestId);
    this.open.stderr.push(requestId);
    if (this.dead) {
      return Promise.reject(
        new FunctionError(
          'Runtime.ExitError',
          `RequestId: ${requestId} Error: Runtime exited before the invocation`,
          this.fn.functionName,
          requestId,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.pending = { requestId, resolve, reject };
      this.worker.postMessage({ type: 'invoke', requestId, event, deadline, traceId: traceId() });
    });
  }

  terminate(): Promise<number> {
    this.dead = true;
    return this.worker.terminate();
  }

  private settle(message: Extract<WorkerMessage, { type: 'result' }>): void {
    const pending = this.pending;
    if (!pending || pending.requestId !== message.requestId) return;
    this.pending = undefined;
    if (message.ok) pending.resolve(JSON.parse(message.json));
    else pending.reject(this.remoteError(message.error, message.requestId));
  }

  private remoteError(error: RemoteError, requestId: string): FunctionError {
    return new FunctionError(
      error.name,
      error.message,
      this.fn.functionName,
      requestId,
      error.stack,
    );
  }

  /** What Lambda sets in every execution environment, over the function's own variables. */
  private environment(): Record<string, string> {
    const fn = this.fn;
    const reserved: Record<string, string> = {
      AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: this.logGroupName,
      AWS_LAMBDA_LOG_STREAM_NAME: this.logStreamName,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime ?? 'nodejs24.x'}`,
      _HANDLER: `${fn.entryFile}:${fn.handlerPath}`,
      LANG: 'en_US.UTF-8',
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    };
    if (fn.region) {
      reserved.AWS_REGION = fn.region;
      reserved.AWS_DEFAULT_REGION = fn.region;
    }
    return { ...fn.environment, ...reserved };
  }
}

class Semaphore {
  private active = 0;
  private readonly waiting: Array<{ resolve(): void; reject(error: Error): void }> = [];
  constructor(private readonly limit: number) {}

  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next.resolve();
    else this.active--;
  }

  /** Fails everyone still waiting: after stop() they would wait forever. */
  cancel(): void {
    for (const waiter of this.waiting.splice(0)) waiter.reject(new StoppedError());
  }
}

interface FunctionPool {
  fn: HostedFunction;
  idle: ExecutionEnvironment[];
  all: Set<ExecutionEnvironment>;
  limit: Semaphore | undefined;
}

export interface InvokeOptions {
  requestId?: string;
  /** Handed the promise that resolves once all of the invocation's output has arrived. */
  onOutputEnd?: (ended: Promise<void>) => void;
}

/** One invocation with its outcome and log, as Lambda's Invoke with LogType Tail reports it. */
export interface InvocationRecord {
  requestId: string;
  functionName: string;
  /** The handler's result, when it succeeded. */
  result?: unknown;
  /** What failed, when it did. */
  error?: FunctionError;
  /**
   * The invocation's log as in CloudWatch: START, what the function wrote,
   * an error line when it failed, END and REPORT.
   */
  log: string[];
}

/** How long to wait for an invocation's output after its result; it normally comes first. */
const OUTPUT_WAIT_MS = 2_000;

export class LambdaHost {
  private readonly pools = new Map<string, FunctionPool>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(
    private readonly events: RuntimeEvents,
    /** Faults to inject (npm run chaos); none by default. */
    private readonly faults: () => FaultPlan | undefined = () => undefined,
  ) {}

  register(fn: HostedFunction): void {
    if (this.pools.has(fn.name)) throw new Error(`Function ${fn.name} is registered twice`);
    this.pools.set(fn.name, {
      fn,
      idle: [],
      all: new Set(),
      limit: fn.reservedConcurrency ? new Semaphore(fn.reservedConcurrency) : undefined,
    });
  }

  has(name: string): boolean {
    return this.pools.has(name);
  }

  /** Execution environments currently alive for `name` (busy or idle). */
  environmentCount(name: string): number {
    return this.pools.get(name)?.all.size ?? 0;
  }

  /**
   * Invokes `name` synchronously (RequestResponse): resolves with the
   * handler's JSON result, rejects with a FunctionError.
   */
  invoke(name: string, event: unknown, options: InvokeOptions = {}): Promise<unknown> {
    const pool = this.pools.get(name);
    if (!pool) return Promise.reject(new Error(`No function ${name} in the local runtime`));
    if (this.stopping) return Promise.reject(new StoppedError());
    const invocation = this.invokeIn(
      pool,
      event,
      options.requestId ?? randomUUID(),
      options.onOutputEnd,
    );
    this.inFlight.add(invocation);
    const forget = () => this.inFlight.delete(invocation);
    invocation.then(forget, forget);
    return invocation;
  }

  /**
   * Invokes `name` like invoke() and resolves (never rejects for a function
   * error) with the outcome and the invocation's own log lines.
   */
  async invokeWithLog(
    name: string,
    event: unknown,
    options: Omit<InvokeOptions, 'onOutputEnd'> = {},
  ): Promise<InvocationRecord> {
    const requestId = options.requestId ?? randomUUID();
    const lines: string[] = [];
    let report: InvocationReport | undefined;
    const offLog = this.events.on('log', (entry) => {
      if (entry.requestId === requestId) lines.push(entry.line);
    });
    const offReport = this.events.on('invocation', (entry) => {
      if (entry.requestId === requestId) report = entry;
    });
    let outputEnded: Promise<void> | undefined;
    try {
      const outcome = await this.invoke(name, event, {
        requestId,
        onOutputEnd: (ended) => {
          outputEnded = ended;
        },
      }).then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({
          result: undefined,
          error:
            error instanceof FunctionError
              ? error
              : new FunctionError(
                  (error as Error)?.name ?? 'Error',
                  String((error as Error)?.message ?? error),
                  this.pools.get(name)?.fn.functionName ?? name,
                  requestId,
                ),
        }),
      );
      if (outputEnded) await settleWithin(outputEnded, OUTPUT_WAIT_MS);
      const fn = this.pools.get(name)?.fn;
      return {
        requestId,
        functionName: fn?.functionName ?? name,
        ...(outcome.error ? { error: outcome.error } : { result: outcome.result }),
        log: invocationLog(requestId, lines, outcome.error, report, fn?.memoryMb),
      };
    } finally {
      offLog();
      offReport();
    }
  }

  /** Waits for running invocations, at most `timeoutMs`. Returns whether all finished. */
  async drain(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const settled = Promise.allSettled([...this.inFlight]).then(() => true as const);
    const result = await Promise.race([settled, timedOut]);
    clearTimeout(timer);
    return result;
  }

  /** Refuses new invocations and ends every execution environment. */
  async stop(): Promise<void> {
    this.stopping = true;
    const all = [...this.pools.values()].flatMap((pool) => [...pool.all]);
    for (const pool of this.pools.values()) {
      pool.idle.length = 0;
      pool.all.clear();
      pool.limit?.cancel();
    }
    await Promise.all(all.map((env) => env.terminate()));
  }

  private async invokeIn(
    pool: FunctionPool,
    event: unknown,
    requestId: string,
    onOutputEnd?: (ended: Promise<void>) => void,
  ): Promise<unknown> {
    const { fn } = pool;
    await pool.limit?.acquire();
    const started = performance.now();
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    // An environment whose Worker died while idle is not handed anything.
    let env = pool.idle.pop();
    while (env?.dead) env = pool.idle.pop();
    const coldStart = env === undefined;
    if (!env) {
      env = new ExecutionEnvironment(fn, this.events, (dead) => {
        pool.all.delete(dead);
        const at = pool.idle.indexOf(dead);
        if (at >= 0) pool.idle.splice(at, 1);
      });
      pool.all.add(env);
    }
    env.requestId = requestId;
    onOutputEnd?.(env.outputEnded(requestId));
    const fault = pickFault(this.faults(), fn.name, Math.random());
    if (fault) this.events.notice('warn', fn.name, `injected fault: ${fault} (${requestId})`);
    let initDurationMs: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    let discard = false;
    const current = env;
    try {
      // The timeout covers a cold start's init too: simpler than Lambda's
      // separate init budget, and the same for functions that start fast.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => {
            discard = true;
            reject(
              new FunctionError(
                'Sandbox.Timedout',
                fault === 'timeout'
                  ? `${new Date().toISOString()} ${requestId} Task timed out (injected)`
                  : `${new Date().toISOString()} ${requestId} Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
                fn.functionName,
                requestId,
              ),
            );
          },
          fault === 'timeout' ? Math.random() * 50 : deadline - Date.now(),
        );
      });
      discard = true;
      const init = await Promise.race([current.ready, timeout]);
      discard = false;
      if (coldStart) initDurationMs = init;
      let running = current.run(requestId, event, deadline);
      if (fault === 'crash') {
        // The environment dies under the invocation, before or after its
        // writes: the invocation fails either way.
        const crash = new Promise<never>((_, reject) =>
          setTimeout(() => {
            void current.worker.terminate();
            reject(
              new FunctionError(
                'Runtime.ExitError',
                `RequestId: ${requestId} Error: Runtime exited with error: signal: killed (injected)`,
                fn.functionName,
                requestId,
              ),
            );
          }, Math.random() * 50),
        );
        running = Promise.race([running.then(() => crash), crash]);
      }
      // An injected timeout fails the invocation even if the handler was quicker.
      if (fault === 'timeout') running = running.then(() => timeout);
      const result = await Promise.race([running, timeout]);
      this.report(fn, requestId, coldStart, initDurationMs, started, undefined);
      return result;
    } catch (error) {
      // Like Lambda after a timeout, a crash or a failed init, the
      // environment is discarded: the next invocation gets a fresh one. A
      // handler that throws leaves its environment reusable.
      if (discard || current.dead) {
        pool.all.delete(current);
        await current.terminate();
      }
      if (this.stopping) {
        // Ended by stop(), not by the function: not a function error.
        this.events.notice('info', fn.name, `invocation ${requestId} ended by the stop`);
        throw new StoppedError();
      }
      const failure =
        error instanceof FunctionError
          ? error
          : new FunctionError('Error', String(error), fn.functionName, requestId);
      this.report(fn, requestId, coldStart, initDurationMs, started, failure);
      throw failure;
    } finally {
      clearTimeout(timer);
      if (!current.dead && pool.all.has(current)) pool.idle.push(current);
      pool.limit?.release();
    }
  }

  private report(
    fn: HostedFunction,
    requestId: string,
    coldStart: boolean,
    initDurationMs: number | undefined,
    started: number,
    error: FunctionError | undefined,
  ): void {
    this.events.emit('invocation', {
      function: fn.name,
      functionName: fn.functionName,
      requestId,
      coldStart,
      initDurationMs,
      durationMs: performance.now() - started,
      error: error ? { name: error.name, message: error.message } : undefined,
    });
  }
}

function settleWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The lines CloudWatch Logs would hold for one invocation. */
function invocationLog(
  requestId: string,
  lines: readonly string[],
  error: FunctionError | undefined,
  report: InvocationReport | undefined,
  memoryMb: number | undefined,
): string[] {
  const log = [`START RequestId: ${requestId} Version: $LATEST`, ...lines];
  if (error) {
    log.push(
      `${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify({
        errorType: error.errorType,
        errorMessage: error.message,
        stack: error.remoteStack?.split('\n') ?? [],
      })}`,
    );
  }
  log.push(`END RequestId: ${requestId}`);
  const parts = [`REPORT RequestId: ${requestId}`];
  if (report) {
    parts.push(
      `Duration: ${report.durationMs.toFixed(2)} ms`,
      `Billed Duration: ${Math.ceil(report.durationMs)} ms`,
    );
  }
  if (memoryMb !== undefined) parts.push(`Memory Size: ${memoryMb} MB`);
  if (report?.initDurationMs !== undefined) {
    parts.push(`Init Duration: ${report.initDurationMs.toFixed(2)} ms`);
  }
  log.push(parts.join('\t'));
  return log;
}

function traceId(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}
