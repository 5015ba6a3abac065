import { appEntry, findRepoRoot, getFreePort, type AppName } from '@kiln/stack';
import { startProcess, type ProcessHandle } from './start-process.js';

export type { AppName };

/** A running app process started by {@link startApp}. */
export interface AppHandle extends ProcessHandle {
  /** The port its `/healthz` is served on (the worker's: its metrics port). */
  port: number;
  /** `http://127.0.0.1:<port>`. */
  url: string;
}

/** Options of {@link startApp}. */
export interface StartAppOptions {
  /** The app's environment; only PATH and HOME are added from ours. */
  env: Record<string, string>;
  /**
   * The port it listens on. Default: the app's own port variable in `env`
   * (KILN_API_PORT, KILN_WEBHOOKS_PORT, KILN_DASHBOARD_PORT, KILN_WORKER_METRICS_PORT); when that
   * is unset or 0, a free port is picked and set in the app's env.
   */
  port?: number;
  /** A health URL to poll instead of waiting for the app's IPC ready message. */
  healthUrl?: string;
  timeoutMs?: number;
  /**
   * Pins the process (and every ffmpeg it spawns) to these CPUs, a `taskset -c` list such as
   * `0` or `0,1`; the app then sees only these cores (`os.availableParallelism()`). Linux only.
   */
  cpus?: string;
}

const PORT_VARIABLE: Record<AppName, string> = {
  api: 'KILN_API_PORT',
  webhooks: 'KILN_WEBHOOKS_PORT',
  worker: 'KILN_WORKER_METRICS_PORT',
  dashboard: 'KILN_DASHBOARD_PORT',
};

/**
 * Starts a built app as a real process (`node apps/<app>/dist/main.js`, the dashboard's
 * `dist/server/main.js`) from the repository root with only the given environment plus PATH and
 * HOME, and waits until the app says it is ready (its IPC ready message, sent once it listens).
 * Set KILN_TEST_APP_LOGS=1 to see its output on stderr.
 */
export async function startApp(name: AppName, opts: StartAppOptions): Promise<AppHandle> {
  const root = findRepoRoot();
  const variable = PORT_VARIABLE[name];
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    ...opts.env,
  };
  let port = opts.port ?? Number(env[variable] ?? 0);
  if (!Number.isInteger(port) || port <= 0) {
    port = await getFreePort();
    env[variable] = String(port);
  } else if (opts.port !== undefined && env[variable] === undefined) {
    env[variable] = String(port);
  }
  const tee = process.env.KILN_TEST_APP_LOGS ? process.stderr : undefined;
  const [command, args] =
    opts.cpus !== undefined
      ? ['taskset', ['-c', opts.cpus, process.execPath, appEntry(root, name)]]
      : [process.execPath, [appEntry(root, name)]];
  const handle = await startProcess(name, command, args, {
    env,
    cwd: root,
    ...(opts.healthUrl !== undefined ? { healthUrl: opts.healthUrl } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(tee ? { tee } : {}),
  });
  return { ...handle, port, url: `http://127.0.0.1:${port}` };
}
