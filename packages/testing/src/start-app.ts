import { appEntry, findRepoRoot, ManagedChild, waitForHttp } from '@kiln/stack';

export type AppName = 'api' | 'webhooks' | 'worker' | 'dashboard';

export interface AppHandle {
  child: ManagedChild;
  logs(): string;
  stop(opts?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<void>;
}

/**
 * Starts a built app as a real process (`node apps/<app>/dist/main.js`) with only the given
 * environment (plus PATH and HOME), and waits until its `/healthz` on `port` answers.
 */
export async function startApp(name: AppName, opts: { env: Record<string, string>; port: number; healthPath?: string }): Promise<AppHandle> {
  const root = findRepoRoot();
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...opts.env };
  const tee = process.env.KILN_TEST_APP_LOGS ? process.stderr : undefined;
  const child = new ManagedChild(name, process.execPath, [appEntry(root, name)], { cwd: root, env, keepLines: 2000, ...(tee ? { tee } : {}) });
  try {
    await waitForHttp(`http://127.0.0.1:${opts.port}${opts.healthPath ?? '/healthz'}`, { timeoutMs: 30_000, isAlive: () => child.alive });
  } catch (err) {
    await child.stop({ graceMs: 1000 });
    throw new Error(`${name} did not become healthy: ${(err as Error).message}\n${child.output().split('\n').slice(-30).join('\n')}`);
  }
  return { child, logs: () => child.output(), stop: (o) => child.stop({ graceMs: 10_000, ...o }) };
}
