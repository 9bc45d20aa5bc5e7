import type { Clock } from './clock.ts';
import { DatabaseTlsError } from './db.ts';
import { EnvError } from './env.ts';

/**
 * Waiting for a database that is not serving yet: a proxy whose targets are
 * still registering, a cluster resuming from 0 ACU, an IAM policy not yet
 * visible to the proxy. Attempts back off (1 s doubling to 15 s) and stop
 * when the next one would start after the deadline, so the caller (a custom
 * resource) still has its own time to answer CloudFormation.
 */

export interface WaitOptions {
  /** Epoch ms after which no attempt starts. */
  deadline: number;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  /** First delay, ms. Default 1,000. */
  initialDelayMs?: number;
  /** Longest delay, ms. Default 15,000. */
  maxDelayMs?: number;
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
}

export class DatabaseWaitError extends Error {
  override name = 'DatabaseWaitError';
}

/** Errors no wait mends: a certificate that does not verify, a setting that is missing. */
export function isPermanent(error: unknown): boolean {
  return error instanceof DatabaseTlsError || error instanceof EnvError;
}

/** Runs `attempt` until it succeeds, a permanent error, or the deadline. */
export async function waitForDatabase<T>(
  attempt: () => Promise<T>,
  options: WaitOptions,
): Promise<{ value: T; attempts: number; waitedMs: number }> {
  const start = options.clock();
  let delay = options.initialDelayMs ?? 1_000;
  const maxDelay = options.maxDelayMs ?? 15_000;
  for (let attempts = 1; ; attempts++) {
    try {
      return { value: await attempt(), attempts, waitedMs: options.clock() - start };
    } catch (error) {
      if (isPermanent(error)) throw error;
      const waited = options.clock() - start;
      if (options.clock() + delay > options.deadline) {
        throw new DatabaseWaitError(
          `PostgreSQL did not accept a connection in ${Math.round(waited / 1000)} s (${attempts} attempts, the time this run has): ${describe(error)}`,
          { cause: error },
        );
      }
      options.onRetry?.(attempts, error, delay);
      await options.sleep(delay);
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}

function describe(error: unknown): string {
  const { code, message, errors } = (error ?? {}) as {
    code?: unknown;
    message?: unknown;
    errors?: unknown;
  };
  // node's AggregateError (IPv4 and IPv6 both refused) keeps the codes inside.
  const inner = Array.isArray(errors) ? (errors[0] as { code?: unknown } | undefined) : undefined;
  const name = typeof code === 'string' ? code : typeof inner?.code === 'string' ? inner.code : '';
  const text = typeof message === 'string' && message ? message : String(error);
  return name && !text.includes(name) ? `${name}: ${text}` : text;
}
