import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isProcessRunning as running, waitFor } from '@kiln/testing';
import { afterEach, describe, expect, it } from 'vitest';

const guardModule = pathToFileURL(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'orphan-guard.js'),
).href;

/**
 * A stand-in launcher: starts the guard, spawns a `sleep` with no pdeathsig (as on a machine
 * without setpriv), tracks it, prints both PIDs, and then releases the guard or just waits.
 */
async function standIn(dir: string, release: boolean) {
  const script = path.join(dir, 'launcher.mjs');
  await writeFile(
    script,
    `import { spawn } from 'node:child_process';
import { OrphanGuard } from ${JSON.stringify(guardModule)};
const guard = await OrphanGuard.start(5000);
const child = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
await guard.track(child.pid);
console.log(JSON.stringify({ child: child.pid, guard: guard.pid }));
${release ? "child.kill('SIGKILL'); guard.release();" : ''}
setInterval(() => {}, 1000);
`,
  );
  const launcher = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pids = await new Promise<{ child: number; guard: number }>((resolve, reject) => {
    launcher.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as { child: number; guard: number }));
    launcher.once('exit', () => reject(new Error('stand-in launcher exited early')));
  });
  return { launcher, ...pids };
}

describe('OrphanGuard', () => {
  let dir: string | undefined;
  const leftovers: number[] = [];
  afterEach(async () => {
    for (const pid of leftovers.splice(0)) if (running(pid)) process.kill(pid, 'SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stops a tracked child, one with no pdeathsig, when its launcher is SIGKILLed, then exits', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kiln-guard-'));
    const { launcher, child, guard } = await standIn(dir, false);
    leftovers.push(child, guard, launcher.pid!);
    await waitFor(() => running(child), { timeoutMs: 5_000, message: 'the child to run' });
    launcher.kill('SIGKILL');
    await waitFor(() => !running(child) && !running(guard), {
      timeoutMs: 20_000,
      intervalMs: 100,
      message: 'the guard to stop the child and exit',
    }).catch((err: Error) => {
      throw new Error(`${err.message}: child ${running(child)} guard ${running(guard)}`);
    });
    expect(running(child)).toBe(false);
  });

  it('exits without signalling anything once the launcher releases it', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kiln-guard-'));
    const { launcher, guard } = await standIn(dir, true);
    leftovers.push(guard, launcher.pid!);
    await waitFor(() => !running(guard), { timeoutMs: 10_000, intervalMs: 100, message: 'the released guard to exit' });
    expect(running(launcher.pid!)).toBe(true);
    launcher.kill('SIGKILL');
  });
});
