import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { S3Bucket } from '@kiln/storage';
import { startS3, type S3Handle } from '@kiln/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EmptyUploadError, S3UploadStorage, UploadTooLargeError } from './upload-storage.adapter.js';

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
    bucket = S3Bucket.fromOptions({ bucket: s3.bucket, endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true, prefix: `test-${randomUUID()}/` });
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
    await expect(uploads.save('acme', Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), 1000)).rejects.toThrow(UploadTooLargeError);
    await expect(uploads.save('acme', Readable.from([]), 1000)).rejects.toThrow(EmptyUploadError);
    expect(await bucket.list('')).toEqual([]);
  });
});
