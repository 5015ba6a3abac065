import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { S3Client } from '@aws-sdk/client-s3';
import { startS3, type S3Handle } from '@kiln/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnsafeStoragePathError } from './storage.errors.js';
import { S3Bucket, s3ClientConfig } from './s3-bucket.adapter.js';
import { S3Storage } from './s3-storage.adapter.js';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('S3Storage', () => {
  let s3: S3Handle;
  let scratch: string;
  let bucket: S3Bucket;
  let storage: S3Storage;
  let prefix: string;

  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.stop();
  });
  beforeEach(async (ctx) => {
    scratch = await mkdtemp(path.join(tmpdir(), 'kiln-s3-scratch-'));
    prefix = `test-${randomUUID()}/`;
    bucket = S3Bucket.fromOptions({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
      prefix,
    });
    storage = new S3Storage(bucket, scratch);
    ctx.onTestFinished(async () => {
      bucket.destroy();
      await rm(scratch, { recursive: true, force: true });
    });
  });

  it('uploads a finished file under <prefix><customer>/<job>/<name>, records size and sha256, and removes the scratch copy', async () => {
    const ref = { customerId: 'acme', jobId: 'job-1', name: 'mp4-360p.mp4' };
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    const temp = await storage.scratchPathFor(ref);
    expect(temp.startsWith(scratch)).toBe(true);
    await writeFile(temp, bytes);
    expect(await storage.stat(ref)).toBeNull();
    expect(await storage.store(temp, ref)).toEqual({ sizeBytes: bytes.length, checksum: sha(bytes) });
    expect(await bucket.list('')).toEqual(['acme/job-1/mp4-360p.mp4']);
    expect(await readdir(path.join(scratch, 'acme'))).toEqual([]);
    expect(await storage.stat(ref)).toEqual({ sizeBytes: bytes.length });
    const whole = (await storage.open(ref))!;
    expect(sha(await buffer(whole.body))).toBe(sha(bytes));
  });

  it('uploads a file larger than one part as a multipart upload that completes whole', async () => {
    const ref = { customerId: 'acme', jobId: 'job-big', name: 'big.mp4' };
    const bytes = Buffer.alloc(17 * 1024 * 1024 + 5, 7);
    bytes.write('end', bytes.length - 3);
    const temp = await storage.scratchPathFor(ref);
    await writeFile(temp, bytes);
    expect(await storage.store(temp, ref)).toEqual({ sizeBytes: bytes.length, checksum: sha(bytes) });
    expect(await storage.stat(ref)).toEqual({ sizeBytes: bytes.length });
    expect(
      (
        await buffer((await storage.open(ref, undefined, { start: bytes.length - 3, end: bytes.length - 1 }))!.body)
      ).toString(),
    ).toBe('end');
  });

  it('opens a byte range of an object and says the size of the whole', async () => {
    const ref = { customerId: 'acme', jobId: 'job-2', name: 'a.mp4' };
    const temp = await storage.scratchPathFor(ref);
    await writeFile(temp, 'abcdefghijklmnopqrstuvwxyz');
    await storage.store(temp, ref);
    const part = (await storage.open(ref, undefined, { start: 2, end: 5 }))!;
    expect(part.sizeBytes).toBe(26);
    expect((await buffer(part.body)).toString()).toBe('cdef');
    const tail = (await storage.open(ref, undefined, { start: 25, end: 25 }))!;
    expect((await buffer(tail.body)).toString()).toBe('z');
  });

  it('stores a directory output file by file with a checksum each, replacing an older version whole', async () => {
    const ref = { customerId: 'acme', jobId: 'job-3', name: 'hls' };
    const old = await storage.scratchPathFor(ref);
    await mkdir(path.join(old, 'v9'), { recursive: true });
    await writeFile(path.join(old, 'master.m3u8'), 'old');
    await writeFile(path.join(old, 'v9', 'seg_000.ts'), 'stale');
    await storage.storeDir(old, ref);

    const temp = await storage.scratchPathFor(ref);
    await mkdir(path.join(temp, 'v0'), { recursive: true });
    await writeFile(path.join(temp, 'master.m3u8'), '#EXTM3U');
    await writeFile(path.join(temp, 'v0', 'index.m3u8'), '#EXTM3U\n#EXT-X-VERSION:3');
    await writeFile(path.join(temp, 'v0', 'seg_000.ts'), 'abcd');
    expect(await storage.storeDir(temp, ref)).toEqual([
      { path: 'master.m3u8', sizeBytes: 7, checksum: sha('#EXTM3U') },
      { path: 'v0/index.m3u8', sizeBytes: 24, checksum: sha('#EXTM3U\n#EXT-X-VERSION:3') },
      { path: 'v0/seg_000.ts', sizeBytes: 4, checksum: sha('abcd') },
    ]);
    expect((await bucket.list('acme/job-3/')).sort()).toEqual([
      'acme/job-3/hls/master.m3u8',
      'acme/job-3/hls/v0/index.m3u8',
      'acme/job-3/hls/v0/seg_000.ts',
    ]);
    expect((await buffer((await storage.open(ref, 'v0/seg_000.ts'))!.body)).toString()).toBe('abcd');
    expect(await storage.stat(ref, 'v9/seg_000.ts')).toBeNull();
    expect(await readdir(path.join(scratch, 'acme'))).toEqual([]);
  });

  it('stores the files of a CMAF output with their media types: the MPD, playlists, init and media segments', async () => {
    const types = new Map<string, string | undefined>();
    class RecordingBucket extends S3Bucket {
      override async put(key: string, body: Readable, contentType?: string): Promise<void> {
        types.set(key.slice(key.lastIndexOf('/') + 1), contentType);
        return super.put(key, body, contentType);
      }
    }
    const options = {
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
      prefix,
    };
    const recording = new S3Storage(
      new RecordingBucket(new S3Client(s3ClientConfig(options)), s3.bucket, prefix),
      scratch,
    );
    const ref = { customerId: 'acme', jobId: 'job-8', name: 'cmaf' };
    const temp = await recording.scratchPathFor(ref);
    await mkdir(temp, { recursive: true });
    for (const file of ['manifest.mpd', 'master.m3u8', 'media_0.m3u8', 'init-0.mp4', 'seg-0-00001.m4s'])
      await writeFile(path.join(temp, file), file);
    await recording.storeDir(temp, ref);
    expect(Object.fromEntries(types)).toEqual({
      'manifest.mpd': 'application/dash+xml',
      'master.m3u8': 'application/vnd.apple.mpegurl',
      'media_0.m3u8': 'application/vnd.apple.mpegurl',
      'init-0.mp4': 'video/mp4',
      'seg-0-00001.m4s': 'video/iso.segment',
    });
    recording.bucket.destroy();
  });

  it('removes what it uploaded of a directory output when one file fails, and reports that failure', async () => {
    // The real bucket, with one PUT made to fail: the rest of the upload goes to s3rver.
    class FailingBucket extends S3Bucket {
      override async put(key: string, body: Readable, contentType?: string): Promise<void> {
        if (key.endsWith('seg_003.ts')) {
          body.resume();
          throw new Error('injected: connection reset');
        }
        return super.put(key, body, contentType);
      }
    }
    const options = {
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
      prefix,
    };
    const failing = new S3Storage(new FailingBucket(new S3Client(s3ClientConfig(options)), s3.bucket, prefix), scratch);
    const ref = { customerId: 'acme', jobId: 'job-7', name: 'hls' };
    const temp = await failing.scratchPathFor(ref);
    await mkdir(path.join(temp, 'v0'), { recursive: true });
    await writeFile(path.join(temp, 'master.m3u8'), '#EXTM3U');
    for (let i = 0; i < 8; i++) await writeFile(path.join(temp, 'v0', `seg_00${i}.ts`), `segment ${i}`);
    await expect(failing.storeDir(temp, ref)).rejects.toThrow('injected: connection reset');
    expect(await bucket.list('acme/job-7/')).toEqual([]);
    // The scratch copy stays for the caller to discard (the worker does, then retries or fails the job).
    expect((await readdir(path.join(temp, 'v0'))).length).toBe(8);
    await failing.discard(temp);
    failing.bucket.destroy();
  });

  it('reads a missing object, or an unsafe path inside a directory, as missing', async () => {
    const ref = { customerId: 'acme', jobId: 'job-4', name: 'nothing.mp4' };
    expect(await storage.stat(ref)).toBeNull();
    expect(await storage.open(ref)).toBeNull();
    expect(await storage.open(ref, undefined, { start: 0, end: 10 })).toBeNull();
    for (const bad of ['../x', 'v0/../../x', '.hidden', '', 'a//b', 'a/b/c/d/e']) {
      expect(await storage.stat({ ...ref, name: 'hls' }, bad)).toBeNull();
      expect(await storage.open({ ...ref, name: 'hls' }, bad)).toBeNull();
    }
  });

  it('refuses ids and names that are not one plain segment', async () => {
    for (const bad of ['..', '../x', 'a/b', '.hidden', '']) {
      await expect(storage.scratchPathFor({ customerId: 'acme', jobId: 'j', name: bad })).rejects.toThrow(
        UnsafeStoragePathError,
      );
      await expect(storage.stat({ customerId: bad, jobId: 'j', name: 'x.mp4' })).rejects.toThrow(
        UnsafeStoragePathError,
      );
      expect(() => storage.keyOf({ customerId: 'acme', jobId: bad, name: 'x.mp4' })).toThrow(UnsafeStoragePathError);
    }
    expect(await bucket.list('')).toEqual([]);
  });

  it('discards scratch files and clears those a crashed attempt left, uploading nothing', async () => {
    const ref = { customerId: 'acme', jobId: 'job-5', name: 'o.mp4' };
    const temp = await storage.scratchPathFor(ref);
    await writeFile(temp, 'x');
    await storage.discard(temp);
    await storage.discard(temp);
    expect(await readdir(path.join(scratch, 'acme'))).toEqual([]);
    await writeFile(await storage.scratchPathFor(ref), 'partial');
    await mkdir(await storage.scratchPathFor({ ...ref, name: 'hls' }));
    expect(await storage.clearTemps('acme', 'job-5')).toBe(2);
    expect(await storage.clearTemps('acme', 'no-such-job')).toBe(0);
    expect(await bucket.list('')).toEqual([]);
  });

  it('fails a store when the bucket does not exist, and keeps nothing half-written', async () => {
    const missing = new S3Storage(
      S3Bucket.fromOptions({
        bucket: 'no-such-bucket',
        endpoint: s3.endpoint,
        region: s3.region,
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        forcePathStyle: true,
        prefix: '',
      }),
      scratch,
    );
    const ref = { customerId: 'acme', jobId: 'job-6', name: 'o.mp4' };
    const temp = await missing.scratchPathFor(ref);
    await writeFile(temp, 'abc');
    await expect(missing.store(temp, ref)).rejects.toThrow(/bucket/i);
    missing.bucket.destroy();
  });
});
