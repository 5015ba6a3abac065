import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StackStartError } from './stack.errors.js';
import { ManagedChild } from './managed-child.js';
import { appEntry, type AppName } from './repo-root.js';
import { Supervisor, type ChildGuard } from './supervisor.js';

/** A fake app: says it is ready over IPC (unless told not to), logs its SIGTERM with a timestamp, exits. */
const APP = `
const name = process.env.APP;
process.on('SIGTERM', () => { console.log('stopping ' + name + ' at ' + Date.now()); setTimeout(() => process.exit(0), 20); });
if (process.env.KILN_SPEC_MODE === 'crash') { console.error(name + ': cannot start'); process.exit(3); }
if (process.env.KILN_SPEC_MODE !== 'silent') process.send({ type: 'ready', app: name, port: 1 });
setInterval(() => {}, 1000);
`;

let root: string;
let supervisor: Supervisor | undefined;
const guard = () => {
  const seen = { tracked: [] as (number | undefined)[], released: false };
  const fake: ChildGuard = {
    track: async (pid) => void seen.tracked.push(pid),
    release: () => void (seen.released = true),
  };
  return { seen, fake };
};

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'kiln-supervisor-'));
  for (const app of ['api', 'webhooks', 'worker', 'dashboard'] as AppName[]) {
    await mkdir(path.dirname(appEntry(root, app)), { recursive: true });
    await writeFile(appEntry(root, app), APP);
  }
});
afterEach(async () => {
  await supervisor?.stop();
  supervisor = undefined;
  await rm(root, { recursive: true, force: true });
});

const env = (app: string, mode = 'ok') => ({ PATH: process.env.PATH ?? '/bin', APP: app, KILN_SPEC_MODE: mode });

describe('Supervisor', () => {
  it('learns an app is ready from its IPC message, and tracks every child with the guard', async () => {
    const { seen, fake } = guard();
    supervisor = new Supervisor({ guard: fake, root, cwd: root });
    const api = supervisor.spawnApp('api', 'api', env('api'));
    await supervisor.ready(api, 10_000);
    expect(api.alive).toBe(true);
    expect(seen.tracked).toEqual([api.pid]);
  });

  it('fails with the app output when it exits during start, and when it never says it is ready', async () => {
    supervisor = new Supervisor({ guard: guard().fake, root, cwd: root });
    const crash = supervisor.spawnApp('worker-1', 'worker', env('worker', 'crash'));
    const failed = supervisor.ready(crash, 10_000);
    await expect(failed).rejects.toBeInstanceOf(StackStartError);
    await expect(failed).rejects.toThrow(/worker-1 exited during start \(code 3[\s\S]*worker: cannot start/);
    const silent = supervisor.spawnApp('dashboard', 'dashboard', env('dashboard', 'silent'));
    await expect(supervisor.ready(silent, 300)).rejects.toThrow('dashboard did not become ready within 300 ms');
  });

  it('stops apps in order (dashboard, api, worker, webhooks), then the parts last adopted first, and releases the guard', async () => {
    const { seen, fake } = guard();
    const tee = { lines: [] as string[], write: (s: string) => tee.lines.push(s) > 0 };
    supervisor = new Supervisor({ guard: fake, root, cwd: root, tee: tee as unknown as NodeJS.WritableStream });
    const stopped: string[] = [];
    for (const name of ['redis', 'soketi']) {
      const child = new ManagedChild(name, process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
      supervisor.adopt({ child, stop: async () => void (await child.stop(), stopped.push(name)) });
    }
    const apps = (['webhooks', 'api', 'worker', 'dashboard'] as const).map((app) =>
      supervisor!.spawnApp(app, app, env(app)),
    );
    await Promise.all(apps.map((child) => supervisor!.ready(child, 10_000)));
    await supervisor.stop();
    const order = tee.lines
      .map((l) => /stopping (\w+) at (\d+)/.exec(l))
      .filter((m) => m !== null)
      .sort((a, b) => Number(a[2]) - Number(b[2]))
      .map((m) => m[1]);
    expect(order).toEqual(['dashboard', 'api', 'worker', 'webhooks']);
    expect(stopped).toEqual(['soketi', 'redis']);
    expect(seen.released).toBe(true);
    expect(supervisor.children.every((c) => !c.alive)).toBe(true);
  });

  it('reports a child that dies on its own, and kill() SIGKILLs what still runs', async () => {
    supervisor = new Supervisor({ guard: guard().fake, root, cwd: root });
    const api = supervisor.spawnApp('api', 'api', env('api'));
    const webhooks = supervisor.spawnApp('webhooks', 'webhooks', env('webhooks'));
    await Promise.all([supervisor.ready(api, 10_000), supervisor.ready(webhooks, 10_000)]);
    const died = supervisor.died();
    process.kill(webhooks.pid!, 'SIGKILL');
    expect(await died).toBe('webhooks exited unexpectedly (code null, signal SIGKILL)');
    supervisor.kill();
    expect((await api.exited).signal).toBe('SIGKILL');
  });
});
