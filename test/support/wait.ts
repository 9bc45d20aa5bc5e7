/** Polls `read` until `done` holds, or fails after `timeoutMs` saying what it waited for. */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
  throw new Error(
    `Timed out after ${options.timeoutMs} ms waiting for ${options.what}; last: ${JSON.stringify(last)?.slice(0, 500)}`,
  );
}
