import { isReadyMessage } from '@kiln/app-kit';
import { ManagedChild, waitForHttp } from '@kiln/stack';
import { ProcessNotHealthyError } from './testing.errors.js';

/** A process started by {@link startProcess} (and {@link startApp}). */
export interface ProcessHandle {
  child: ManagedChild;
  /** Everything it printed so far (the last `keepLines` lines). */
  logs(): string;
  /** SIGTERM, SIGKILL after `graceMs` (default 10 s); resolves once it has exited. Idempotent. */
  stop(opts?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<void>;
}

/** Options of {@link startProcess}. */
export interface StartProcessOptions {
  /** The complete environment of the child: nothing is inherited. */
  env: Record<string, string>;
  cwd?: string;
  /**
   * Ready when this URL answers 2xx; without it, ready when the process says so over IPC (a Kiln
   * app's `{type: 'ready'}` message, see @kiln/app-kit).
   */
  healthUrl?: string;
  timeoutMs?: number;
  /** Lines of output to keep for `logs()` (default 2000). */
  keepLines?: number;
  /** Tee output here with a `[name] ` prefix (e.g. process.stderr while debugging a test). */
  tee?: NodeJS.WritableStream;
}

/**
 * Spawns `command args` and waits until it is ready (`healthUrl` answers, or its IPC ready
 * message). A child that exits before it is ready rejects at once with its output, so a broken
 * app fails the test with its own error message instead of a timeout.
 */
export async function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  opts: StartProcessOptions,
): Promise<ProcessHandle> {
  const child = new ManagedChild(name, command, args, {
    env: opts.env,
    keepLines: opts.keepLines ?? 2000,
    ipc: opts.healthUrl === undefined,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.tee ? { tee: opts.tee } : {}),
  });
  const handle: ProcessHandle = {
    child,
    logs: () => child.output(),
    stop: async (o) => void (await child.stop({ graceMs: 10_000, ...o })),
  };
  try {
    await ready(child, opts.healthUrl, opts.timeoutMs ?? 30_000);
  } catch (err) {
    // A closed IPC channel can be seen just before the exit itself.
    await Promise.race([child.exited, new Promise((r) => setTimeout(r, 500))]);
    if (!child.alive) {
      const exit = await child.exited;
      throw new ProcessNotHealthyError(
        `${name} exited before it was healthy (code ${exit.code}, signal ${exit.signal})`,
        child.tail(40).join('\n'),
      );
    }
    await child.stop({ graceMs: 2000 });
    throw new ProcessNotHealthyError(
      `${name} did not become healthy: ${(err as Error).message}`,
      child.tail(40).join('\n'),
    );
  }
  // A process that ends, once ready, while its test still uses it says so on stderr: a later "fetch failed"
  // then has its cause beside it (its own last words when it exited by itself, its signal otherwise).
  void child.exited.then((exit) => {
    if (!child.diedEarly) return;
    const tail = exit.code !== null ? `; its last lines:\n${child.tail(20).join('\n')}` : '';
    process.stderr.write(
      `[${name}] pid ${child.pid} ended before stop() (code ${exit.code}, signal ${exit.signal})${tail}\n`,
    );
  });
  return handle;
}

/** Waits for `healthUrl`, or for the child's IPC ready message, within `timeoutMs`. */
async function ready(child: ManagedChild, healthUrl: string | undefined, timeoutMs: number): Promise<void> {
  if (healthUrl !== undefined) return waitForHttp(healthUrl, { timeoutMs, isAlive: () => child.alive });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      child.message(isReadyMessage),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no ready message within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
