import type { ApiClient, connectRealtime, FetchFn } from '@kiln/client';

/**
 * Everything the CLI touches outside itself, injected so commands run in-process in tests: the
 * streams, the environment, the working directory, `fetch`, the clock and Ctrl-C.
 */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
  fetch?: FetchFn;
  now?: () => number;
  /** Registers a Ctrl-C handler; returns a function that removes it. */
  onInterrupt?: (handler: () => void) => () => void;
  /** Replaces pusher-js (tests of the watch flow without soketi). */
  connectRealtime?: typeof connectRealtime;
}

/** What a command runs with, once the global options are resolved. */
export interface CommandContext {
  io: CliIo;
  api: ApiClient;
  json: boolean;
}

/** Writes one JSON document to stdout: the whole output of a command under `--json`. */
export function writeJson(ctx: CommandContext, value: unknown): void {
  ctx.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
