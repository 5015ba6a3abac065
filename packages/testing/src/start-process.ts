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
  /** Ready when this URL answers 2xx. */
  healthUrl: string;
  timeoutMs?: number;
  /** Lines of output to keep for `logs()` (default 2000). */
  keepLines?: number;
  /** Tee output here with a `[name] ` prefix (e.g. process.stderr while debugging a test). */
  tee?: NodeJS.WritableStream;
}

/**
 * Spawns `command args` and waits until `healthUrl` answers. A child that exits before it is
 * healthy rejects at once with its output, so a broken app fails the test with its own error
 * message instead of a timeout.
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
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.tee ? { tee: opts.tee } : {}),
  });
  const handle: ProcessHandle = {
    child,
    logs: () => child.output(),
    stop: async (o) => void (await child.stop({ graceMs: 10_000, ...o })),
  };
  try {
    await waitForHttp(opts.healthUrl, { timeoutMs: opts.timeoutMs ?? 30_000, isAlive: () => child.alive });
  } catch (err) {
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
  return handle;
}
