import pWaitFor from 'p-wait-for';
import { canConnect } from './ports.js';

/** Options shared by the polling waits. */
export interface WaitOptions {
  /** Give up after this long (default 20 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 50 ms). */
  intervalMs?: number;
  /** Checked before each attempt: when it says false (the process died) the wait fails at once. */
  isAlive?: () => boolean;
}

/**
 * Polls `url` until it answers 2xx (and, if given, its body contains `expectBody`), because a
 * process that listens is not yet a process that is ready. Fails with the last answer seen.
 */
export async function waitForHttp(url: string, opts: WaitOptions & { expectBody?: string } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  let last = 'no attempt';
  const answers = async () => {
    if (opts.isAlive && !opts.isAlive()) throw new Error(`gave up waiting for ${url}: the process exited`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.min(2000, timeoutMs)) });
      const body = await res.text();
      if (res.ok && (opts.expectBody === undefined || body.includes(opts.expectBody))) return true;
      last = `HTTP ${res.status} ${body.slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    return false;
  };
  await pWaitFor(answers, {
    interval: opts.intervalMs ?? 50,
    timeout: {
      milliseconds: timeoutMs,
      fallback: () => {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${url} (last: ${last})`);
      },
    },
  });
}

/** Polls until something accepts TCP connections on host:port. */
export async function waitForTcp(port: number, host = '127.0.0.1', opts: WaitOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const accepts = async () => {
    if (opts.isAlive && !opts.isAlive()) throw new Error(`gave up waiting for ${host}:${port}: the process exited`);
    return canConnect(port, host, 500);
  };
  await pWaitFor(accepts, {
    interval: opts.intervalMs ?? 50,
    timeout: {
      milliseconds: timeoutMs,
      fallback: () => {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${host}:${port} to accept connections`);
      },
    },
  });
}
