import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStorage } from './local-storage.adapter.js';

describe('ScratchOutput', () => {
  let root: string;
  let storage: LocalStorage;
  const ref = { customerId: 'acme', jobId: 'job-1', name: 'mp4-360p.mp4' };
  const jobDir = () => path.join(root, 'acme', 'job-1');
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'kiln-scratch-output-'));
    storage = new LocalStorage(root);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('commits a file in place, after which discard leaves the stored output alone', async () => {
    const out = await storage.scratch(ref, { runId: 'run-a' });
    await writeFile(out.path, 'abc');
    expect(await out.commit()).toMatchObject({ sizeBytes: 3, checksum: expect.stringMatching(/^sha256:/) });
    await out.discard();
    expect(await readdir(jobDir())).toEqual(['mp4-360p.mp4']);
    await expect(out.commit()).rejects.toThrow(/already committed/);
  });

  it('commits a directory with its files, sizes summed and no checksum of its own', async () => {
    const out = await storage.scratch({ ...ref, name: 'hls' }, { directory: true });
    await mkdir(path.join(out.path, 'v0'), { recursive: true });
    await writeFile(path.join(out.path, 'master.m3u8'), '#EXTM3U\n');
    await writeFile(path.join(out.path, 'v0', 'seg.ts'), 'abcd');
    const stored = await out.commit();
    expect(stored).toMatchObject({ sizeBytes: 12, checksum: null });
    expect(stored.files?.map((f) => f.path)).toEqual(['master.m3u8', 'v0/seg.ts']);
  });

  it('discards what was written, twice without harm, and its run folder with it', async () => {
    const out = await storage.scratch(ref, { runId: 'run-b' });
    await writeFile(out.path, 'partial');
    await out.discard();
    await out.discard();
    expect(await readdir(jobDir())).toEqual([]);
  });

  it('stays uncommitted when the fence refuses, so discard still removes it', async () => {
    const out = await storage.scratch(ref);
    await writeFile(out.path, 'abc');
    await expect(out.commit(() => Promise.reject(new Error('lock lost')))).rejects.toThrow('lock lost');
    expect(await storage.stat(ref)).toBeNull();
    await out.discard();
    expect(await readdir(jobDir())).toEqual([]);
  });

  it("keeps a run's folder while another of its scratch outputs is open, and removes it with the last", async () => {
    const a = await storage.scratch(ref, { runId: 'run-c' });
    const b = await storage.scratch({ ...ref, name: 'hls' }, { runId: 'run-c', directory: true });
    await writeFile(a.path, 'abc');
    await a.commit();
    await mkdir(b.path);
    await writeFile(path.join(b.path, 'master.m3u8'), '#EXTM3U\n');
    await b.commit();
    expect((await readdir(jobDir())).sort()).toEqual(['hls', 'mp4-360p.mp4']);
  });
});
