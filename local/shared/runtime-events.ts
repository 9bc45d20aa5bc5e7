/**
 * What the local runtime reports while it runs. The printer subscribes to
 * these; so can tests, a benchmark, or an EMF metrics store reading the
 * functions' log lines.
 */

/** One line a function wrote to stdout or stderr. */
export interface FunctionLogLine {
  /** Short name from the construct path, e.g. `RealtimeConsumer`. */
  function: string;
  /** The Lambda function name, e.g. `Pricestream-RealtimeConsumer…`. */
  functionName: string;
  stream: 'stdout' | 'stderr';
  line: string;
  /**
   * The invocation the environment was serving (or last served) when the
   * line arrived. Output travels on its own channel, so a line printed at
   * the very end of an invocation can still be attributed to it.
   */
  requestId: string | undefined;
  time: Date;
}

/** One finished invocation, successful or not. */
export interface InvocationReport {
  function: string;
  functionName: string;
  requestId: string;
  /** Whether this invocation started a new execution environment. */
  coldStart: boolean;
  initDurationMs: number | undefined;
  durationMs: number;
  error: { name: string; message: string } | undefined;
}

/** Something the runtime itself wants to say (start-up, retries, outages). */
export interface Notice {
  level: 'info' | 'warn' | 'error';
  /** Who says it: `runtime`, a function or a mapping name. */
  source: string;
  message: string;
  time: Date;
}

/** One batch handed to a function by an event source mapping. */
export interface BatchReport {
  mapping: string;
  function: string;
  shardId: string;
  size: number;
  firstSequenceNumber: string;
  lastSequenceNumber: string;
  /** 1 for the first delivery of these records, more on retries. */
  attempt: number;
  outcome: 'success' | 'partial-failure' | 'error';
  durationMs: number;
}

/** A batch given up on and written to the dead-letter table (or discarded). */
export interface DeadLetterReport {
  mapping: string;
  function: string;
  shardId: string;
  size: number;
  condition: string;
  /** Where the row went: the dead-letter table, or nowhere when the mapping has no OnFailure. */
  destination: string | undefined;
}

export interface RuntimeEventMap {
  log: FunctionLogLine;
  invocation: InvocationReport;
  notice: Notice;
  batch: BatchReport;
  deadLetter: DeadLetterReport;
}

export type RuntimeListener<K extends keyof RuntimeEventMap> = (event: RuntimeEventMap[K]) => void;

export type RuntimeListeners = { [K in keyof RuntimeEventMap]?: RuntimeListener<K> };

export class RuntimeEvents {
  private readonly listeners: { [K in keyof RuntimeEventMap]: Set<RuntimeListener<K>> } = {
    log: new Set(),
    invocation: new Set(),
    notice: new Set(),
    batch: new Set(),
    deadLetter: new Set(),
  };

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof RuntimeEventMap>(kind: K, listener: RuntimeListener<K>): () => void {
    const set = this.listeners[kind] as Set<RuntimeListener<K>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  subscribe(listeners: RuntimeListeners): () => void {
    const offs: Array<() => void> = [];
    for (const kind of Object.keys(listeners) as Array<keyof RuntimeEventMap>) {
      const listener = listeners[kind];
      if (listener) offs.push(this.on(kind, listener as RuntimeListener<typeof kind>));
    }
    return () => {
      for (const off of offs) off();
    };
  }

  emit<K extends keyof RuntimeEventMap>(kind: K, event: RuntimeEventMap[K]): void {
    for (const listener of this.listeners[kind] as Set<RuntimeListener<K>>) {
      // A broken subscriber (a printer, a metrics store) must not stop a shard.
      try {
        listener(event);
      } catch (error) {
        process.stderr.write(`local runtime: a ${kind} listener threw: ${String(error)}\n`);
      }
    }
  }

  notice(level: Notice['level'], source: string, message: string): void {
    this.emit('notice', { level, source, message, time: new Date() });
  }
}
