import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalChunkStore } from './chunk-store.js';

describe('LocalChunkStore', () => {
  let root: string;
  let work: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'kiln-chunk-store-'));
    work = await mkdtemp(path.join(tmpdir(), 'kiln-chunk-work-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });
  const base = { customerId: 'acme', jobId: 'job-1', planId: 'plan-1' };

  it("keeps chunk files in the job's hidden .chunks folder; copies unless told to move", async () => {
    const store = new LocalChunkStore(root);
    const file = path.join(work, 'input.mp4');
    await writeFile(file, 'input bytes');
    await store.put({ ...base, name: 'source' }, file);
    expect(await readFile(file, 'utf8')).toBe('input bytes');
    const stored = await store.fetch({ ...base, name: 'source' });
    expect(stored).toBe(path.join(root, 'acme', 'job-1', '.chunks', 'plan-1', 'source'));
    expect(await readFile(stored!, 'utf8')).toBe('input bytes');
    await store.put({ ...base, name: 'c00001-run/r0.mp4' }, file, { move: true });
    expect(await readdir(work)).toEqual([]);
    expect(await store.fetch({ ...base, name: 'c00001-run/missing.mp4' })).toBeNull();
    expect(await store.has({ ...base, name: 'c00001-run/r0.mp4' })).toBe(true);
    expect(await store.has({ ...base, name: 'c00001-run/missing.mp4' })).toBe(false);
  });

  it('removes one run folder, then the whole plan and its .chunks folder', async () => {
    const store = new LocalChunkStore(root);
    const file = path.join(work, 'x');
    for (const name of ['c00000-a/r.mp4', 'c00000-b/r.mp4']) {
      await writeFile(file, name);
      await store.put({ ...base, name }, file);
    }
    await store.remove({ ...base, name: 'c00000-b' });
    expect(await readdir(path.join(root, 'acme', 'job-1', '.chunks', 'plan-1'))).toEqual(['c00000-a']);
    await store.removePlan(base);
    expect(await readdir(path.join(root, 'acme', 'job-1'))).toEqual([]);
  });

  it('refuses names that could leave the plan folder', async () => {
    const store = new LocalChunkStore(root);
    await expect(store.fetch({ ...base, name: '../other/source' })).rejects.toThrow(/unsafe/);
    await expect(store.fetch({ ...base, planId: '..', name: 'source' })).rejects.toThrow(/unsafe/);
    await expect(store.removePlan({ ...base, jobId: '../x' })).rejects.toThrow();
  });
});
