import { describe, expect, it } from 'vitest';
import { installShutdown } from './shutdown.js';

describe('installShutdown', () => {
  it('runs the steps once, however often it is asked, then exits with the first code', async () => {
    const exits: number[] = [];
    let steps = 0;
    const shutdown = installShutdown(async () => void steps++, {
      hardExitMs: 5_000,
      signals: [],
      exit: (code) => void exits.push(code),
    });
    expect(shutdown.requested).toBe(false);
    const first = shutdown.run('a part died', 1);
    expect(shutdown.run('SIGTERM')).toBe(first);
    await first;
    expect(shutdown.requested).toBe(true);
    expect(steps).toBe(1);
    expect(exits).toEqual([1]);
  });

  it('exits 1 after hardExitMs when a step hangs', async () => {
    const exits: number[] = [];
    let hardExit = false;
    const shutdown = installShutdown(() => new Promise<void>(() => undefined), {
      hardExitMs: 50,
      signals: [],
      onHardExit: () => (hardExit = true),
      exit: (code) => void exits.push(code),
    });
    void shutdown.run('SIGTERM');
    await new Promise((r) => setTimeout(r, 150));
    expect(hardExit).toBe(true);
    expect(exits).toEqual([1]);
  });

  it('stops on its signal and tells repeated signals apart', async () => {
    const exits: number[] = [];
    const repeats: number[] = [];
    let release = () => undefined as void;
    installShutdown(() => new Promise<void>((r) => (release = r)), {
      hardExitMs: 5_000,
      signals: ['SIGUSR2'],
      onRepeat: (_signal, count) => repeats.push(count),
      exit: (code) => void exits.push(code),
    });
    process.emit('SIGUSR2', 'SIGUSR2');
    process.emit('SIGUSR2', 'SIGUSR2');
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(repeats).toEqual([2, 3]);
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(exits).toEqual([0]);
    process.removeAllListeners('SIGUSR2');
  });
});
