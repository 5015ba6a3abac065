import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ByteRange, OpenedObject } from './output-storage.js';

/** Connection settings of an S3-compatible bucket (from the KILN_S3_* variables). */
export interface S3BucketOptions {
  bucket: string;
  /** Omitted: AWS S3 in `region`. */
  endpoint?: string | undefined;
  region: string;
  /** Both or neither; neither uses the SDK's default credential chain (env, profile, instance role). */
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  /** `<endpoint>/<bucket>/<key>` instead of `<bucket>.<endpoint>/<key>` (MinIO, Ceph, s3rver). */
  forcePathStyle: boolean;
  /** Put before every key, e.g. `kiln/` (empty for none). */
  prefix: string;
}

/** Whether an SDK error means "no such object" (GetObject says NoSuchKey, HeadObject only 404). */
function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

/** 8 MiB parts, 4 at a time: at most 32 MiB buffered per upload, as lib-storage holds parts in memory. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;

/**
 * One S3 bucket (AWS or any S3-compatible server) through `@aws-sdk/client-s3`: the side effects
 * {@link S3Storage} and the upload stores need, each key under the configured prefix. Writes go
 * through lib-storage's `Upload` (one PUT, or a multipart upload completed at the end), so an
 * object appears whole or not at all; a failed multipart upload is aborted.
 */
export class S3Bucket {
  readonly name: string;
  readonly prefix: string;

  constructor(
    private readonly client: S3Client,
    bucket: string,
    prefix = '',
  ) {
    this.name = bucket;
    this.prefix = prefix;
  }

  /** A bucket with its own client built from {@link S3BucketOptions}. */
  static fromOptions(opts: S3BucketOptions): S3Bucket {
    return new S3Bucket(new S3Client(s3ClientConfig(opts)), opts.bucket, opts.prefix);
  }

  /** Streams `body` to `key` (never whole in memory) and resolves once the object exists. */
  async put(key: string, body: Readable, contentType?: string): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.name,
        Key: this.prefix + key,
        Body: body,
        ...(contentType ? { ContentType: contentType } : {}),
      },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  /** The object's size, or null when there is none. */
  async size(key: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.name, Key: this.prefix + key }));
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  /**
   * Opens an object, or one range of it (a `Range` header on the GetObject), as a stream; null when
   * it is missing. `sizeBytes` is the whole object's size.
   */
  async get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<OpenedObject | null> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.name,
          Key: this.prefix + key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
        signal ? { abortSignal: signal } : {},
      );
      const total = /\/(\d+)$/.exec(res.ContentRange ?? '')?.[1];
      return { body: res.Body as Readable, sizeBytes: total !== undefined ? Number(total) : (res.ContentLength ?? 0) };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  /** Downloads an object to a local file; returns its size, or null when it is missing. */
  async download(key: string, dest: string, signal?: AbortSignal): Promise<number | null> {
    const obj = await this.get(key, undefined, signal);
    if (!obj) return null;
    await pipeline(obj.body, createWriteStream(dest, { flags: 'wx' }), signal ? { signal } : {});
    return obj.sizeBytes;
  }

  /** Every key under `keyPrefix` (without the bucket prefix), in the bucket's order. */
  async list(keyPrefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.name, Prefix: this.prefix + keyPrefix },
    )) {
      for (const obj of page.Contents ?? []) if (obj.Key) keys.push(obj.Key.slice(this.prefix.length));
    }
    return keys;
  }

  /** Deletes objects one by one (DeleteObjects needs a Content-MD5 some S3-compatible servers reject); missing is fine. */
  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys)
      await this.client.send(new DeleteObjectCommand({ Bucket: this.name, Key: this.prefix + key }));
  }

  /** Closes the client's sockets. */
  destroy(): void {
    this.client.destroy();
  }
}

/**
 * The S3Client settings for {@link S3BucketOptions}. Checksums are computed only where S3 requires
 * them: the SDK's default (a CRC32 trailer on every upload, aws-chunked) is not understood by
 * several S3-compatible servers, and every stored file gets its own SHA-256 anyway.
 */
export function s3ClientConfig(opts: S3BucketOptions): S3ClientConfig {
  return {
    region: opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    forcePathStyle: opts.forcePathStyle,
    ...(opts.accessKeyId && opts.secretAccessKey
      ? { credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey } }
      : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 10_000 },
  };
}
