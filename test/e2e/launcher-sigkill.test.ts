import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnRedisServer } from '@kiln/stack';
import { getFreePort, isProcessRunning, waitFor } from '@kiln/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { listProcesses, type ProcessRow } from '../support/process-tree.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every process below `pid`, read from the process table. */
async function descendantsOf(pid: number): Promise<ProcessRow[]> {
  const all = await listProcesses();
  const found: ProcessRow[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const next = all.filter((p) => frontier.includes(p.ppid));
    found.push(...next);
    frontier = next.map((p) => p.pid);
  }
  return found;
}

/** The lines of /proc/<pid>/status that tell why a process did not act on a signal. */
async function signalState(pid: number): Promise<string> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => 'gone');
  return status
    .split('\n')
    .filter((l) => /^(State|PPid|SigPnd|ShdPnd|SigBlk|SigIgn|SigCgt):/.test(l))
    .join(' ');
}

describe('npm start launcher killed with SIGKILL', () => {
  let launcher: ChildProcess | undefined;
  let children: ProcessRow[] = [];
  let cwd: string | undefined;

  afterAll(async () => {
    for (const p of [...children, ...(launcher?.pid ? [{ pid: launcher.pid }] : [])]) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  it('takes every child with it (redis-server, soketi, api, webhooks, worker, dashboard), Redis keeping its data', async () => {
    cwd = await mkdtemp(path.join(tmpdir(), 'kiln-launcher-'));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !/^(KILN_|PUSHER_|REDIS_URL$)/.test(k)) env[k] = v;
    const ports = {
      api: await getFreePort(),
      webhooks: await getFreePort(),
      dashboard: await getFreePort(),
      redis: await getFreePort(),
      soketi: await getFreePort(),
      soketiMetrics: await getFreePort(),
    };
    Object.assign(env, {
      KILN_API_PORT: String(ports.api),
      KILN_WEBHOOKS_PORT: String(ports.webhooks),
      KILN_DASHBOARD_PORT: String(ports.dashboard),
      KILN_EMBEDDED_REDIS_PORT: String(ports.redis),
      KILN_EMBEDDED_SOKETI_PORT: String(ports.soketi),
      KILN_EMBEDDED_SOKETI_METRICS_PORT: String(ports.soketiMetrics),
      KILN_SHUTDOWN_GRACE_S: '1',
    });
    let output = '';
    launcher = spawn(process.execPath, [path.join(repoRoot, 'packages', 'stack', 'dist', 'main.js')], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launcher.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    launcher.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(() => output.includes('Kiln is up.') || launcher!.exitCode !== null, {
      timeoutMs: 120_000,
      message: 'the launcher to print "Kiln is up."',
    });
    expect(output, output.slice(-3000)).toContain('Kiln is up.');

    // Something for Redis to keep: the launcher started it with its AOF on, in <cwd>/.kiln/redis.
    const client = new Redis(`redis://127.0.0.1:${ports.redis}`);
    await client.set('kiln-launcher-test', 'kept');
    await client.quit();

    children = await descendantsOf(launcher.pid!);
    const commands = children.map((p) => p.args).join('\n');
    expect(commands).toMatch(/redis-server/);
    for (const app of ['api', 'webhooks', 'worker', 'dashboard']) expect(commands).toContain(path.join('apps', app));
    expect(children.filter((p) => /soketi/.test(p.args)).length, commands).toBeGreaterThan(0);

    expect(launcher.kill('SIGKILL')).toBe(true);
    await waitFor(() => children.every((p) => !isProcessRunning(p.pid)), {
      timeoutMs: 60_000,
      intervalMs: 250,
      message: `every child of the launcher to exit:\n${commands}`,
    }).catch(async (err: Error) => {
      // Say what the survivors are doing: stopped, signals pending, blocked or ignored.
      const states = await Promise.all(children.map(async (p) => `${p.pid} ${p.args}\n${await signalState(p.pid)}`));
      throw new Error(
        `${err.message}\nlauncher exit: ${launcher?.exitCode} ${launcher?.signalCode}\n${states.join('\n')}`,
      );
    });

    const restarted = await spawnRedisServer({ dir: path.join(cwd, '.kiln', 'redis'), appendOnly: true });
    try {
      const again = new Redis(restarted.url);
      expect(await again.get('kiln-launcher-test')).toBe('kept');
      await again.quit();
    } finally {
      await restarted.stop();
    }
  }, 200_000);
});
