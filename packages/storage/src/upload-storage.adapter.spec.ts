import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { startS3, type S3Handle } from '@kiln/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Bucket } from './s3-bucket.adapter.js';
import { S3UploadStorage } from './s3-upload-storage.adapter.js';
import { EmptyUploadError, UnsafeStoragePathError, UploadTooLargeError } from './storage.errors.js';
import { UploadStorage } from './upload-storage.adapter.js';
import { parseUploadInput, uploadKey, uploadPath } from './uploads.js';

describe('S3UploadStorage', () => {
  let s3: S3Handle;
  let bucket: S3Bucket;
  let uploads: S3UploadStorage;

  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.stop();
  });
  beforeEach((ctx) => {
    bucket = S3Bucket.fromOptions({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
      prefix: `test-${randomUUID()}/`,
    });
    uploads = new S3UploadStorage(bucket);
    ctx.onTestFinished(() => bucket.destroy());
  });

  it('streams a body to uploads/<customer>/<id> and finds it for that customer only', async () => {
    const saved = await uploads.save('acme', Readable.from([Buffer.from('hello '), Buffer.from('world')]), 1024);
    expect(saved.sizeBytes).toBe(11);
    expect(await bucket.list('')).toEqual([`uploads/acme/${saved.id}`]);
    expect((await buffer((await bucket.get(`uploads/acme/${saved.id}`))!.body)).toString()).toBe('hello world');
    expect(await uploads.exists('acme', saved.id)).toBe(true);
    expect(await uploads.exists('globex', saved.id)).toBe(false);
    expect(await uploads.exists('acme', '../x')).toBe(false);
  });

  it('keeps nothing of a body over the limit or an empty one', async () => {
    await expect(uploads.save('acme', Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), 1000)).rejects.toThrow(
      UploadTooLargeError,
    );
    await expect(uploads.save('acme', Readable.from([]), 1000)).rejects.toThrow(EmptyUploadError);
    expect(await bucket.list('')).toEqual([]);
  });

  it("removes one upload of the customer's, leaving the others, and ignores one that is not there", async () => {
    const a = await uploads.save('acme', Readable.from([Buffer.from('a')]), 1024);
    const b = await uploads.save('acme', Readable.from([Buffer.from('b')]), 1024);
    await uploads.remove('globex', a.id);
    await uploads.remove('acme', '../x');
    expect(await uploads.exists('acme', a.id)).toBe(true);
    await uploads.remove('acme', a.id);
    await uploads.remove('acme', a.id);
    expect(await bucket.list('')).toEqual([`uploads/acme/${b.id}`]);
  });
});

describe('UploadStorage.remove', () => {
  it("removes one upload of the customer's, leaving the others, and ignores one that is not there", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kiln-uploads-'));
    try {
      const store = new UploadStorage(dir);
      const a = await store.save('acme', Readable.from([Buffer.from('a')]), 1024);
      const b = await store.save('acme', Readable.from([Buffer.from('b')]), 1024);
      await store.remove('globex', a.id);
      await store.remove('acme', '../x');
      expect(await store.exists('acme', a.id)).toBe(true);
      await store.remove('acme', a.id);
      await store.remove('acme', a.id);
      expect(await store.exists('acme', a.id)).toBe(false);
      expect(await store.exists('acme', b.id)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('UploadStorage.removeOlderThan', () => {
  it('removes uploads and interrupted temp files last written before the cutoff, keeps newer ones', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kiln-uploads-'));
    try {
      const store = new UploadStorage(dir);
      const old = await store.save('acme', Readable.from([Buffer.from('old bytes')]), 1024);
      const fresh = await store.save('acme', Readable.from([Buffer.from('new bytes')]), 1024);
      const other = await store.save('globex', Readable.from([Buffer.from('old too')]), 1024);
      const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000);
      await utimes(store.pathOf('acme', old.id), twoDaysAgo, twoDaysAgo);
      await utimes(store.pathOf('globex', other.id), twoDaysAgo, twoDaysAgo);
      const temp = path.join(store.root, 'acme', '.tmp-interrupted');
      await writeFile(temp, 'partial');
      await utimes(temp, twoDaysAgo, twoDaysAgo);

      expect(await store.removeOlderThan(24 * 3_600_000)).toBe(3);
      expect(await store.exists('acme', old.id)).toBe(false);
      expect(await store.exists('globex', other.id)).toBe(false);
      expect(await store.exists('acme', fresh.id)).toBe(true);
      expect(await store.removeOlderThan(24 * 3_600_000)).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('upload ids and keys', () => {
  const id = '0b5c7c1e-9d1f-4c39-9a7e-3f1f7f0e2a11';

  it('reads the id of an upload:// input in any case, lower-cased, and nothing else', () => {
    expect(parseUploadInput(`upload://${id}`)).toBe(id);
    expect(parseUploadInput(`UPLOAD://${id.toUpperCase()}`)).toBe(id);
    for (const bad of ['upload://', `upload://${id}/x`, `upload://${id}x`, `upload:${id}`, 'upload://../x', id])
      expect(parseUploadInput(bad), bad).toBeUndefined();
  });

  it('keeps an upload at uploads/<customer>/<id>, refusing ids that could lead elsewhere', () => {
    expect(uploadKey('acme', id)).toBe(`uploads/acme/${id}`);
    expect(uploadPath('/srv/kiln', 'acme', id)).toBe(`/srv/kiln/uploads/acme/${id}`);
    expect(() => uploadKey('../acme', id)).toThrow(UnsafeStoragePathError);
    expect(() => uploadKey('acme', '../x')).toThrow(UnsafeStoragePathError);
    expect(() => uploadKey('acme', id.toUpperCase())).toThrow(UnsafeStoragePathError);
  });
});
