import { LocalStorage } from './local-storage.adapter.js';
import type { OutputStorage } from './output-storage.js';
import { S3Bucket } from './s3-bucket.adapter.js';
import { s3BucketOptions, type S3ConfigValues } from './s3-config.js';
import { S3Storage } from './s3-storage.adapter.js';

/**
 * The output storage a config asks for: {@link S3Storage} when KILN_S3_BUCKET is set (using
 * `bucket` when the caller already built it, so uploads and outputs share one client), else
 * {@link LocalStorage} under KILN_STORAGE_DIR. `scratchDir` is where S3 outputs are encoded
 * before their upload (default `<tmp>/kiln-scratch`).
 */
export function createOutputStorage(
  config: S3ConfigValues & { KILN_STORAGE_DIR: string },
  bucket?: S3Bucket,
  scratchDir?: string,
): OutputStorage {
  const opts = s3BucketOptions(config);
  if (!opts) return new LocalStorage(config.KILN_STORAGE_DIR);
  return new S3Storage(bucket ?? S3Bucket.fromOptions(opts), scratchDir);
}

/** The configured bucket with its client, or undefined when KILN_S3_BUCKET is not set. */
export function createS3Bucket(config: S3ConfigValues): S3Bucket | undefined {
  const opts = s3BucketOptions(config);
  return opts ? S3Bucket.fromOptions(opts) : undefined;
}
