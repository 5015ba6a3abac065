import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeClip, waitFor } from '@kiln/testing';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `curl` as a newcomer would type it; returns the parsed JSON body. */
async function curl(args: string[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args]);
  const lines = stdout.trimEnd().split('\n');
  const status = Number(lines.pop());
  return { status, body: JSON.parse(lines.join('\n') || '{}') as Record<string, unknown> };
}

describe('npm start with nothing configured', () => {
  let child: ChildProcess | undefined;
  let output = '';
  const inputName = `npm-start-${process.pid}.mp4`;

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
    }
    await rm(path.join(repoRoot, '.kiln', 'inputs', inputName), { force: true });
  });

  it('comes up on the embedded defaults, runs a job created with curl, and stops cleanly on SIGTERM', async () => {
    // A clean environment: no Redis URL, no Pusher app, no keys, default ports.
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !/^(KILN_|PUSHER_|REDIS_URL$)/.test(k)) env[k] = v;
    child = spawn('npm', ['start'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(() => output.includes('Kiln is up.') || child!.exitCode !== null, {
      timeoutMs: 90_000,
      message: 'npm start to print "Kiln is up."',
    });
    expect(output, output.slice(-3000)).toContain('Kiln is up.');
    const key = /Demo API key: (\S+)/.exec(output)?.[1];
    expect(key, 'the demo key is printed').toBeTruthy();

    await mkdir(path.join(repoRoot, '.kiln', 'inputs'), { recursive: true });
    const input = path.join(repoRoot, '.kiln', 'inputs', inputName);
    await copyFile(await makeClip({ seconds: 1, width: 320, height: 240, audio: true }), input);

    const created = await curl([
      '-X',
      'POST',
      'http://127.0.0.1:3000/v1/jobs',
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
          (
            await curl([
              '-H',
              `Authorization: Bearer ${key}`,
              `http://127.0.0.1:3000/v1/jobs/${String(created.body.id)}`,
            ])
          ).body.status,
        );
        return status === 'completed' || status === 'failed';
      },
      { timeoutMs: 60_000, intervalMs: 250, message: 'the job to finish' },
    );
    expect(status).toBe('completed');
    const dashboard = await fetch('http://127.0.0.1:3002/');
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
    await waitFor(
      async () =>
        (await fetch('http://127.0.0.1:3000/healthz').then(
          () => false,
          () => true,
        )) &&
        (await fetch('http://127.0.0.1:6001/ready').then(
          () => false,
          () => true,
        )),
      { timeoutMs: 10_000, message: 'every child to stop' },
    );
  });
});
