import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { getFreePort, makeClip, waitFor } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `curl` as a newcomer would type it; returns the parsed JSON body. */
async function curl(args: string[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args]);
  const lines = stdout.trimEnd().split('\n');
  const status = Number(lines.pop());
  return { status, body: JSON.parse(lines.join('\n') || '{}') as Record<string, unknown> };
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
function taken(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) }).then(
    () => true,
    (err: Error & { cause?: { code?: string } }) => err.cause?.code !== 'ECONNREFUSED',
  );
}

/**
 * The ports `npm start` listens on by default, each with the variable that moves it. A default that
 * is taken (the developer's own `npm start`, or a Redis of theirs on 6379, which the launcher would
 * otherwise reuse) is moved to a free port, so this test never talks to what the developer runs.
 */
const DEFAULT_PORTS: Record<string, number> = {
  KILN_API_PORT: 3000,
  KILN_WEBHOOKS_PORT: 3001,
  KILN_DASHBOARD_PORT: 3002,
  KILN_EMBEDDED_REDIS_PORT: 6379,
  KILN_EMBEDDED_SOKETI_PORT: 6001,
  KILN_EMBEDDED_SOKETI_METRICS_PORT: 9601,
};

/**
 * A newcomer's first ten minutes, in a fresh clone's layout: the repository's files (what
 * `git clone` gives, plus this working tree's uncommitted ones) copied to a temp folder, with no
 * node_modules, no dist and no `.kiln`. There `npm install`, `npm start` (nothing configured), a job
 * by curl and one by `npx kiln submit … --watch`, as the README writes them. The clone has its own
 * `.kiln` (Redis data, inputs, outputs), so nothing lands in the developer's farm.
 */
describe('a fresh clone: npm install, npm start with nothing configured, curl and npx kiln', () => {
  let clone = '';
  let child: ChildProcess | undefined;
  let output = '';
  const moved: Record<string, string> = {};

  beforeAll(async () => {
    clone = await mkdtemp(path.join(tmpdir(), 'kiln-fresh-clone-'));
    const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: repoRoot,
      maxBuffer: 64 * 1024 * 1024,
    });
    for (const file of stdout.split('\0').filter(Boolean)) {
      // A tracked file deleted in the working tree is not part of it.
      await cp(path.join(repoRoot, file), path.join(clone, file), { recursive: true }).catch(
        (err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        },
      );
    }
    for (const [variable, port] of Object.entries(DEFAULT_PORTS)) {
      if (!(await taken(port))) continue;
      moved[variable] = String(await getFreePort());
    }
    if (Object.keys(moved).length > 0)
      process.stdout.write(
        `npm-start test: default ports in use on this machine (your own stack or Redis?); this run uses ${JSON.stringify(moved)} instead\n`,
      );
  }, 60_000);

  afterAll(async () => {
    // Only while npm still runs (a test that failed midway): its process group is then still ours.
    if (child && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group ended meanwhile
      }
    }
    if (clone) await rm(clone, { recursive: true, force: true });
  });

  it(
    'npm install links the kiln bin; npm start comes up, runs jobs from curl and the CLI, and stops cleanly',
    { timeout: 600_000 },
    async () => {
      // A clean environment: no Redis URL, no Pusher app, no keys; only the ports that are taken moved.
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env))
        if (v !== undefined && !/^(KILN_|PUSHER_|REDIS_URL$|npm_|INIT_CWD$)/.test(k)) env[k] = v;
      // The packages come from npm's cache (the repository's own install filled it) when they can.
      env.npm_config_prefer_offline = 'true';
      // The build's outputs come from the repository's turbo cache when its files are the same (the
      // `npm test` that runs this built them a moment ago); turbo builds what it does not find.
      env.TURBO_CACHE_DIR = path.join(repoRoot, '.turbo', 'cache');
      Object.assign(env, moved);

      await run('npm', ['install', '--no-audit', '--no-fund'], { cwd: clone, env, maxBuffer: 64 * 1024 * 1024 });
      // npm links a workspace's bins at install, before anything is built: the bin must be there already.
      expect(await realpath(path.join(clone, 'node_modules', '.bin', 'kiln'))).toBe(
        await realpath(path.join(clone, 'packages', 'cli', 'bin', 'kiln.js')),
      );

      child = spawn('npm', ['start'], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      await waitFor(() => output.includes('Kiln is up.') || child!.exitCode !== null, {
        timeoutMs: 300_000,
        message: 'npm start to print "Kiln is up."',
      });
      expect(output, output.slice(-3000)).toContain('Kiln is up.');
      const key = /Demo API key: (\S+)/.exec(output)?.[1];
      expect(key, 'the demo key is printed').toBeTruthy();
      // Its own Redis, with its data in the clone: not the developer's.
      expect(output).toContain(`started redis-server, data in ${path.join(clone, '.kiln', 'redis')}`);
      const apiUrl = `http://127.0.0.1:${moved.KILN_API_PORT ?? 3000}`;

      await mkdir(path.join(clone, '.kiln', 'inputs'), { recursive: true });
      const input = path.join(clone, '.kiln', 'inputs', 'my.mp4');
      await copyFile(await makeClip({ seconds: 1, width: 320, height: 240, audio: true }), input);

      const created = await curl([
        '-X',
        'POST',
        `${apiUrl}/v1/jobs`,
        '-H',
        `Authorization: Bearer ${key}`,
        '-H',
        'content-type: application/json',
        '-d',
        JSON.stringify({ input: `file://${input}`, outputs: [{ preset: 'mp4-360p' }] }),
      ]);
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      let status = '';
      await waitFor(
        async () => {
          status = String(
            (await curl(['-H', `Authorization: Bearer ${key}`, `${apiUrl}/v1/jobs/${String(created.body.id)}`])).body
              .status,
          );
          return status === 'completed' || status === 'failed';
        },
        { timeoutMs: 60_000, intervalMs: 250, message: 'the job to finish' },
      );
      expect(status).toBe('completed');

      // The CLI as the README writes it: npx kiln in the clone, the key in KILN_API_KEY.
      const cli = await run('npx', ['kiln', 'submit', '.kiln/inputs/my.mp4', '--preset', 'mp4-360p', '--watch'], {
        cwd: clone,
        env: { ...env, KILN_API_KEY: key!, ...(moved.KILN_API_PORT ? { KILN_API_URL: apiUrl } : {}) },
        timeout: 120_000,
      });
      expect(cli.stdout).toMatch(/Job \S+ completed in/);

      const dashboard = await fetch(`http://127.0.0.1:${moved.KILN_DASHBOARD_PORT ?? 3002}/`);
      expect(dashboard.status).toBe(200);

      // SIGTERM to the whole process group, as a service manager or Ctrl-C would: npm dies of the
      // signal itself, so the launcher's own line tells that it stopped every part cleanly.
      const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
      await waitFor(() => output.includes('kiln: stopped.'), {
        timeoutMs: 20_000,
        message: 'the launcher to report a clean stop',
      });
      // Every port is free again: nothing was left running.
      const soketiPort = Number(moved.KILN_EMBEDDED_SOKETI_PORT ?? 6001);
      await waitFor(async () => !(await taken(Number(new URL(apiUrl).port))) && !(await taken(soketiPort)), {
        timeoutMs: 10_000,
        message: 'every child to stop',
      });
    },
  );
});
