import type { Logger } from 'pino';

/** What {@link installShutdown} gives back: whether a stop was asked for, and the stop itself. */
export interface Shutdown {
  readonly requested: boolean;
  run(signal: string): Promise<void>;
}

/**
 * Wires SIGTERM and SIGINT to one idempotent stop (the promise is cached, like BullMQ's
 * `close()`): log it, run the app's `steps` (stop accepting, drain, close clients), flush the
 * log, exit 0; exit 1 if the steps outlast `hardExitMs`.
 */
export function installShutdown(logger: Logger, steps: () => Promise<void>, hardExitMs: number): Shutdown {
  let stopping: Promise<void> | undefined;
  const run = (signal: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ signal }, `${String(logger.bindings().app ?? 'app')} shutting down`);
      const hardExit = setTimeout(() => process.exit(1), hardExitMs);
      hardExit.unref();
      await steps();
      logger.flush();
      process.exit(0);
    })();
    return stopping;
  };
  process.on('SIGTERM', () => void run('SIGTERM'));
  process.on('SIGINT', () => void run('SIGINT'));
  return {
    get requested() {
      return stopping !== undefined;
    },
    run,
  };
}
