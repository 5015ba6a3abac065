import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScratchRoot } from './scratch-root.js';

/** The PID of a process that has exited (so no process runs with it, for now). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('ScratchRoot', () => {
  let base: string;
  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'kiln-scratch-root-'));
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("removes what dead workers of this host left, keeps live workers' and other hosts' folders, and starts its own empty", async () => {
    const dead = await deadPid();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      const seed = async (name: string) => {
        await mkdir(path.join(base, name, 'kiln-input-x'), { recursive: true });
        await writeFile(path.join(base, name, 'kiln-input-x', 'input.mp4'), 'bytes');
      };
      await seed(`kiln-worker-hostA-${dead}`);
      await seed(`kiln-worker-hostA-${sleeper.pid}`);
      await seed(`kiln-worker-hostB-${dead}`);
      await seed(`kiln-worker-hostA-${process.pid}`);
      await seed('unrelated');

      const root = new ScratchRoot(base, process.pid, 'hostA');
      expect(await root.prepare()).toBe(1);
      expect((await readdir(base)).sort()).toEqual(
        [
          `kiln-worker-hostA-${process.pid}`,
          `kiln-worker-hostA-${sleeper.pid}`,
          `kiln-worker-hostB-${dead}`,
          'unrelated',
        ].sort(),
      );
      expect(await readdir(root.dir)).toEqual([]);
      await root.remove();
      expect(await readdir(base)).not.toContain(`kiln-worker-hostA-${process.pid}`);
    } finally {
      sleeper.kill();
    }
  });

  it('makes host names safe as folder names', () => {
    expect(path.basename(new ScratchRoot('/tmp', 42, 'web/1 x').dir)).toBe('kiln-worker-web_1_x-42');
  });
});
