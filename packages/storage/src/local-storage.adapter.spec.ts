import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStorage } from './local-storage.adapter.js';
import { UnsafeStoragePathError } from './storage.errors.js';

describe('LocalStorage', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'kiln-storage-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes under a temp name and shows only the stored file', async () => {
    const storage = new LocalStorage(root);
    const ref = { customerId: 'acme', jobId: 'job-1', name: 'mp4-360p.mp4' };
    const final = storage.finalPath('acme', 'job-1', 'mp4-360p.mp4');
    const temp = await storage.scratchPathFor(ref);
    await writeFile(temp, 'abc');
    expect(await storage.stat(ref)).toBeNull();
    expect((await storage.store(temp, ref)).sizeBytes).toBe(3);
    expect(await readdir(path.dirname(final))).toEqual(['mp4-360p.mp4']);
  });

  it('refuses path segments that could leave the root', () => {
    const storage = new LocalStorage(root);
    for (const bad of ['..', '../x', 'a/b', '.hidden', '']) {
      expect(() => storage.finalPath('acme', 'job-1', bad)).toThrow(UnsafeStoragePathError);
      expect(() => storage.finalPath(bad, 'job-1', 'x.mp4')).toThrow(UnsafeStoragePathError);
    }
  });

  it('discards temp files, missing ones included', async () => {
    const storage = new LocalStorage(root);
    const temp = await storage.scratchPathFor({ customerId: 'acme', jobId: 'j', name: 'o.mp4' });
    await writeFile(temp, 'x');
    await storage.discard(temp);
    await storage.discard(temp);
    expect(await readdir(path.dirname(temp))).toEqual([]);
  });

  it('stores a directory output whole, lists its files, and opens only plain paths inside it', async () => {
    const storage = new LocalStorage(root);
    const ref = { customerId: 'acme', jobId: 'job-1', name: 'hls' };
    const temp = await storage.scratchPathFor(ref);
    await mkdir(path.join(temp, 'v0'), { recursive: true });
    await writeFile(path.join(temp, 'master.m3u8'), '#EXTM3U');
    await writeFile(path.join(temp, 'v0', 'seg_000.ts'), 'abcd');
    expect((await storage.storeDir(temp, ref)).map(({ path: p, sizeBytes }) => ({ path: p, sizeBytes }))).toEqual([
      { path: 'master.m3u8', sizeBytes: 7 },
      { path: 'v0/seg_000.ts', sizeBytes: 4 },
    ]);
    expect(await storage.stat(ref, 'v0/seg_000.ts')).toEqual({ sizeBytes: 4 });
    for (const bad of ['../x', 'v0/../../x', '.hidden', '', 'a//b']) expect(await storage.open(ref, bad)).toBeNull();
  });

  it('clears the temp files a crashed attempt left, and only those', async () => {
    const storage = new LocalStorage(root);
    const final = storage.finalPath('acme', 'job-9', 'out.mp4');
    await writeFile(await storage.scratchPathFor({ customerId: 'acme', jobId: 'job-9', name: 'out.mp4' }), 'partial');
    await mkdir(await storage.scratchPathFor({ customerId: 'acme', jobId: 'job-9', name: 'hls' }), { recursive: true });
    await writeFile(final, 'done');
    expect(await storage.clearTemps('acme', 'job-9')).toBe(2);
    expect(await readdir(path.dirname(final))).toEqual(['out.mp4']);
    expect(await storage.clearTemps('acme', 'no-such-job')).toBe(0);
  });

  it("keeps each run's scratch in its own folder: clearing keeps the given run's, storing leaves no folder", async () => {
    const storage = new LocalStorage(root);
    const ref = { customerId: 'acme', jobId: 'job-7', name: 'out.mp4' };
    const stale = await storage.scratchPathFor(ref, 'run-a');
    const fresh = await storage.scratchPathFor(ref, 'run-b');
    expect(path.dirname(stale)).not.toBe(path.dirname(fresh));
    await writeFile(stale, 'stale run');
    await writeFile(fresh, 'new run');
    expect(await storage.clearTemps('acme', 'job-7', 'run-b')).toBe(1);
    expect((await storage.store(fresh, ref)).sizeBytes).toBe(7);
    expect(await readdir(path.dirname(storage.finalPath('acme', 'job-7', 'out.mp4')))).toEqual(['out.mp4']);
  });

  it('replaces nothing when the fence refuses the store', async () => {
    const storage = new LocalStorage(root);
    const ref = { customerId: 'acme', jobId: 'job-8', name: 'out.mp4' };
    const first = await storage.scratchPathFor(ref, 'run-b');
    await writeFile(first, 'new run');
    await storage.store(first, ref);
    const late = await storage.scratchPathFor(ref, 'run-a');
    await writeFile(late, 'stale run');
    const lost = () => Promise.reject(new Error('lock lost'));
    await expect(storage.store(late, ref, lost)).rejects.toThrow('lock lost');
    const dirRef = { ...ref, name: 'hls' };
    const dir = await storage.scratchPathFor(dirRef, 'run-a');
    await mkdir(dir);
    await expect(storage.storeDir(dir, dirRef, lost)).rejects.toThrow('lock lost');
    expect((await buffer((await storage.open(ref))!.body)).toString()).toBe('new run');
    expect(await storage.stat(dirRef, 'x')).toBeNull();
  });

  it('stores through the OutputStorage interface with a sha256 per file, and opens ranges', async () => {
    const storage = new LocalStorage(root);
    const sha = (b: string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    const ref = { customerId: 'acme', jobId: 'job-2', name: 'a.mp4' };
    const temp = await storage.scratchPathFor(ref);
    await writeFile(temp, 'abcdefghij');
    expect(await storage.stat(ref)).toBeNull();
    expect(await storage.store(temp, ref)).toEqual({ sizeBytes: 10, checksum: sha('abcdefghij') });
    expect(await storage.stat(ref)).toEqual({ sizeBytes: 10 });
    const part = (await storage.open(ref, undefined, { start: 3, end: 5 }))!;
    expect({ size: part.sizeBytes, text: (await buffer(part.body)).toString() }).toEqual({ size: 10, text: 'def' });

    const dirRef = { ...ref, name: 'hls' };
    const dir = await storage.scratchPathFor(dirRef);
    await mkdir(path.join(dir, 'v0'), { recursive: true });
    await writeFile(path.join(dir, 'v0', 'seg_000.ts'), 'abcd');
    expect(await storage.storeDir(dir, dirRef)).toEqual([
      { path: 'v0/seg_000.ts', sizeBytes: 4, checksum: sha('abcd') },
    ]);
    expect((await buffer((await storage.open(dirRef, 'v0/seg_000.ts'))!.body)).toString()).toBe('abcd');
    expect(await storage.stat(dirRef)).toBeNull();
    expect(await storage.open(dirRef, '../a.mp4')).toBeNull();
    expect(await storage.open({ ...ref, name: 'missing.mp4' })).toBeNull();
  });
});
