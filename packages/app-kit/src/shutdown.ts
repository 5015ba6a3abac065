import type { Logger } from '@kiln/logger';

/** What {@link installShutdown} gives back: whether a stop was asked for, and the stop itself. */
export interface Shutdown {
  readonly requested: boolean;
  /** Stops once (later calls get the first call's promise) and exits with `code` (default 0). */
  run(reason: string, code?: number): Promise<void>;
}

/** Options of {@link installShutdown}. */
export interface ShutdownOptions {
  /** An app's root logger: logs "<app> shutting down" and is flushed before the exit. */
  logger?: Logger;
  /** Called once with the reason (the launcher prints it its own way). */
  onStart?: (reason: string) => void;
  /** Called after the steps, before the exit (the launcher prints "stopped."). */
  onDone?: () => void;
  /** The steps may take this long; then `onHardExit` runs and the process exits 1. */
  hardExitMs: number;
  onHardExit?: () => void;
  /** A second, third… signal while stopping (the launcher escalates to SIGKILL). */
  onRepeat?: (signal: NodeJS.Signals, count: number) => void;
  /** Default SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
  /** Default `process.exit`; tests pass a fake. */
  exit?: (code: number) => void;
}

/**
 * The one shutdown of every app and of the launcher: SIGTERM and SIGINT (and `run()`, e.g. when
 * a part died) lead to one idempotent stop, its promise cached like BullMQ's `close()`. It runs
 * `steps` (stop accepting, drain, close clients), flushes the log and exits; a hard-exit timer
 * bounds it, because a hung close must not keep a stopped process around forever.
 */
export function installShutdown(steps: () => Promise<void>, opts: ShutdownOptions): Shutdown {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let stopping: Promise<void> | undefined;
  let signals = 0;
  const run = (reason: string, code = 0): Promise<void> => {
    stopping ??= (async () => {
      opts.logger?.info({ signal: reason }, `${String(opts.logger.bindings().app ?? 'app')} shutting down`);
      opts.onStart?.(reason);
      const hardExit = setTimeout(() => {
        opts.onHardExit?.();
        exit(1);
      }, opts.hardExitMs);
      hardExit.unref();
      try {
        await steps();
      } catch (err) {
        opts.logger?.error({ err }, 'shutdown step failed');
        code = code || 1;
      }
      clearTimeout(hardExit);
      opts.onDone?.();
      opts.logger?.flush();
      exit(code);
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) opts.onRepeat?.(signal, signals);
    void run(signal);
  };
  for (const signal of opts.signals ?? ['SIGTERM', 'SIGINT']) process.on(signal, onSignal);
  return {
    get requested() {
      return stopping !== undefined;
    },
    run,
  };
}
