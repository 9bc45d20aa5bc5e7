/**
 * Start-up that waits for its services instead of failing at once: a
 * PostgreSQL or Kinesis that is still starting (or restarting) answers after
 * a while. Each attempt that meets an unavailable service says so in a
 * line; after the limit the start fails with one clear error.
 */
import { errorMessage, sleep } from './backoff.ts';

export class StartTimeoutError extends Error {
  override name = 'StartTimeoutError';
}

export interface StartWait {
  /** How long to wait for a service in all, ms. */
  timeoutMs: number;
  /** Told about each failed attempt. */
  notice(line: string): void;
  signal?: AbortSignal;
  /** Between attempts, ms. Default 1,000. */
  intervalMs?: number;
}

/** A connection refused or cut: the server is down or restarted, not merely slow. */
const CONNECTION_LOST = /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up/;

/**
 * Errors that mean "not reachable yet, try again": refused or reset
 * connections, a database starting up or restarting, Kinesis throttling or
 * answering 5xx. Anything else (bad SQL, a bad template) is for real.
 */
const TRANSIENT = new RegExp(
  `${CONNECTION_LOST.source}|ETIMEDOUT|EHOSTUNREACH|Connection terminated|connection timeout|timeout exceeded when trying to connect|the database system is (starting up|shutting down|in recovery|not yet accepting connections)|terminating connection|Client has encountered a connection error|LimitExceededException|ThrottlingException|ProvisionedThroughputExceededException|ServiceUnavailable|InternalFailure|InternalServerError|TimeoutError`,
  'i',
);

/** Whether `error`, or one of its causes, says what `pattern` matches (in its name, code or message). */
function says(error: unknown, pattern: RegExp): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const { name, message, code } = e as { name?: string; message?: string; code?: string };
    if (pattern.test(`${name ?? ''} ${code ?? ''} ${message ?? String(e)}`)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** A start that waiting cannot help: the server is up, and said no. */
export class StartRefusedError extends Error {
  override name = 'StartRefusedError';
}

/**
 * PostgreSQL's own answer to the runtime (no such database, a wrong password,
 * no such role), as one line naming the server: the configuration is wrong,
 * not the timing. Undefined for any other error.
 */
export function refusedByPostgres(error: unknown, server: string): StartRefusedError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, severity, message } = error as {
    code?: unknown;
    severity?: unknown;
    message?: string;
  };
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || typeof severity !== 'string') {
    return undefined;
  }
  return new StartRefusedError(`PostgreSQL at ${server} said: ${message} (SQLSTATE ${code})`, {
    cause: error,
  });
}

export function isUnavailable(error: unknown): boolean {
  return says(error, TRANSIENT);
}

export function isConnectionLost(error: unknown): boolean {
  return says(error, CONNECTION_LOST);
}

/**
 * Runs `operation` until it succeeds; retries while `what` is unavailable,
 * up to the wait's limit. Other errors are thrown at once.
 */
export async function whenAvailable<T>(
  what: string,
  operation: () => Promise<T>,
  wait: StartWait,
): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      const waited = Date.now() - started;
      if (waited >= wait.timeoutMs) {
        throw new StartTimeoutError(
          `${what} did not become available within ${Math.round(wait.timeoutMs / 1000)} s: ${errorMessage(error)}`,
          { cause: error },
        );
      }
      wait.notice(
        `waiting for ${what} (attempt ${attempt}, ${(waited / 1000).toFixed(0)} s): ${errorMessage(error)}`,
      );
      await sleep(Math.min(wait.intervalMs ?? 1_000, wait.timeoutMs - waited), wait.signal);
    }
  }
}
