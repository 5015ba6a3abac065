import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ManagedChild } from './managed-child.js';

const node = (name: string, script: string, opts: ConstructorParameters<typeof ManagedChild>[3] = {}) =>
  new ManagedChild(name, process.execPath, ['-e', script], opts);
const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ManagedChild', () => {
  it('kills a child that ignores SIGTERM with SIGKILL after the grace period', async () => {
    const child = node(
      'stubborn',
      "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('ready'); setInterval(() => {}, 1000);",
    );
    while (!child.output().includes('ready')) await new Promise((r) => setTimeout(r, 10));
    const pid = child.pid!;
    const started = Date.now();
    const exit = await child.stop({ graceMs: 400 });
    const took = Date.now() - started;
    expect(exit.signal).toBe('SIGKILL');
    expect(took).toBeGreaterThanOrEqual(380);
    expect(took).toBeLessThan(3000);
    expect(child.output()).toContain('ignoring SIGTERM');
    expect(isRunning(pid)).toBe(false);
    expect(child.alive).toBe(false);
    expect(child.diedEarly).toBe(false);
  });

  it('stops a well-behaved child with SIGTERM, and stop() is idempotent', async () => {
    const child = node('calm', 'setInterval(() => {}, 1000);');
    const first = child.stop({ graceMs: 5000 });
    expect(child.stop()).toBe(first);
    expect((await first).signal).toBe('SIGTERM');
    expect(await child.stop()).toEqual(await first);
  });

  it('keeps the last lines, joins lines split across chunks, and tees them with a prefix', async () => {
    const tee = new PassThrough();
    let teed = '';
    tee.on('data', (d: Buffer) => (teed += d.toString()));
    const script =
      "for (let i = 1; i <= 10; i++) console.log('line ' + i); process.stdout.write('par'); setTimeout(() => { process.stdout.write('tial\\n'); console.error('to stderr'); }, 50);";
    const child = node('api', script, { tee, keepLines: 4 });
    const exit = await child.exited;
    expect(exit.code).toBe(0);
    expect(child.tail(10)).toEqual(['line 9', 'line 10', 'partial', 'to stderr']);
    expect(teed).toContain('[api] line 1\n');
    expect(teed).toContain('[api] partial\n');
    expect(teed).toContain('[api] to stderr\n');
  });

  it('knows when a child died on its own, with its output', async () => {
    const child = node('crasher', "console.error('boom: cannot start'); process.exit(3);");
    const exit = await child.exited;
    expect(exit).toEqual({ code: 3, signal: null });
    expect(child.diedEarly).toBe(true);
    expect(child.output()).toContain('boom: cannot start');
    await child.stop(); // stopping a dead child resolves at once
  });

  it('reports a missing binary as a spawn error instead of throwing', async () => {
    const child = new ManagedChild('ghost', 'kiln-no-such-binary', []);
    await child.exited;
    expect(child.spawnError?.code).toBe('ENOENT');
    expect(child.alive).toBe(false);
    expect(child.diedEarly).toBe(true);
  });
});

describe('ManagedChild IPC', () => {
  it('hands over the first message the filter takes, and rejects when the child exits without one', async () => {
    const isReady = (m: unknown): m is { type: 'ready'; port: number } => (m as { type?: string }).type === 'ready';
    const child = node(
      'app',
      "process.send({ type: 'log' }); process.send({ type: 'ready', port: 7 }, () => process.disconnect());",
      { ipc: true },
    );
    expect(await child.message(isReady)).toEqual({ type: 'ready', port: 7 });
    await child.exited;
    const silent = node('silent', 'process.disconnect();', { ipc: true });
    await expect(silent.message(isReady)).rejects.toThrow();
  });

  it('gives the child exactly the environment it is given', async () => {
    const child = node('env', 'console.log(JSON.stringify(Object.keys(process.env).sort()))', {
      env: { ONLY_THIS: '1', PATH: process.env.PATH ?? '' },
    });
    await child.exited;
    expect(JSON.parse(child.output())).toEqual(expect.arrayContaining(['ONLY_THIS', 'PATH']));
    expect(child.output()).not.toContain('HOME');
  });
});
