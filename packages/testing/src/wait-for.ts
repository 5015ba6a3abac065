import pWaitFor from 'p-wait-for';

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Default 25 ms. */
  intervalMs?: number;
  /** What is awaited, for the timeout message. */
  message?: string;
}

/**
 * Polls `predicate` until it returns true. A predicate that throws counts as false (its last
 * error is named in the timeout message), so it may read things that are not there yet.
 */
export async function waitFor(predicate: () => boolean | Promise<boolean>, opts: WaitForOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let lastError: unknown;
  const holds = async () => {
    try {
      return await predicate();
    } catch (err) {
      lastError = err;
      return false;
    }
  };
  await pWaitFor(holds, {
    interval: opts.intervalMs ?? 25,
    timeout: {
      milliseconds: timeoutMs,
      fallback: () => {
        const why = lastError ? ` (last error: ${(lastError as Error).message})` : '';
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.message ?? 'a condition'}${why}`);
      },
    },
  });
}
