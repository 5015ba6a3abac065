import { ConfigError, loadConfig } from '@kiln/config';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { checkS3Config, isValidBucketName, s3BucketOptions, s3Fields } from './s3-config.js';

const schema = z
  .object({ KILN_STORAGE_DIR: z.string().default('.kiln/storage'), ...s3Fields })
  .superRefine(checkS3Config);
const load = (env: Record<string, string>) => loadConfig(schema, env);
const issuesOf = (env: Record<string, string>) => {
  try {
    load(env);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues;
  }
};

describe('S3 configuration', () => {
  it('is local storage without KILN_S3_BUCKET', () => {
    expect(s3BucketOptions(load({}))).toBeUndefined();
  });

  it('gives path-style addressing by default with an endpoint, virtual-host style for AWS', () => {
    const custom = s3BucketOptions(
      load({
        KILN_S3_BUCKET: 'videos',
        KILN_S3_ENDPOINT: 'http://127.0.0.1:9000',
        KILN_S3_ACCESS_KEY_ID: 'id',
        KILN_S3_SECRET_ACCESS_KEY: 'secret',
        KILN_S3_PREFIX: 'kiln/out',
      }),
    );
    expect(custom).toEqual({
      bucket: 'videos',
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      accessKeyId: 'id',
      secretAccessKey: 'secret',
      forcePathStyle: true,
      prefix: 'kiln/out/',
    });
    const aws = s3BucketOptions(load({ KILN_S3_BUCKET: 'videos', KILN_S3_REGION: 'eu-west-1' }));
    expect(aws).toMatchObject({
      endpoint: undefined,
      region: 'eu-west-1',
      forcePathStyle: false,
      accessKeyId: undefined,
      prefix: '',
    });
    expect(
      s3BucketOptions(
        load({
          KILN_S3_BUCKET: 'videos',
          KILN_S3_ENDPOINT: 'https://r2.example.com',
          KILN_S3_FORCE_PATH_STYLE: 'false',
        }),
      )?.forcePathStyle,
    ).toBe(false);
  });

  it('names KILN_S3_BUCKET when the bucket name is not a valid S3 bucket name', () => {
    for (const bad of [
      'Videos',
      'ab',
      'my_bucket',
      'a..b',
      '192.168.0.1',
      '-videos',
      'videos-',
      'xn--abc',
      'x'.repeat(64),
    ]) {
      expect(isValidBucketName(bad), bad).toBe(false);
      expect(
        issuesOf({ KILN_S3_BUCKET: bad }).map((i) => i.variable),
        bad,
      ).toEqual(['KILN_S3_BUCKET']);
    }
    for (const good of ['abc', 'kiln-outputs', 'my.bucket.1', '0videos'])
      expect(isValidBucketName(good), good).toBe(true);
  });

  it('names the missing key when only one of the two keys is set', () => {
    expect(issuesOf({ KILN_S3_BUCKET: 'videos', KILN_S3_ACCESS_KEY_ID: 'id' }).map((i) => i.variable)).toEqual([
      'KILN_S3_SECRET_ACCESS_KEY',
    ]);
    const onlySecret = issuesOf({ KILN_S3_BUCKET: 'videos', KILN_S3_SECRET_ACCESS_KEY: 'do-not-print-me' });
    expect(onlySecret.map((i) => i.variable)).toEqual(['KILN_S3_ACCESS_KEY_ID']);
    expect(JSON.stringify(onlySecret)).not.toContain('do-not-print-me');
  });

  it('refuses S3 settings without a bucket, a non-http endpoint and a prefix with dot segments', () => {
    expect(issuesOf({ KILN_S3_ENDPOINT: 'http://127.0.0.1:9000' }).map((i) => i.variable)).toEqual(['KILN_S3_BUCKET']);
    expect(
      issuesOf({ KILN_S3_BUCKET: 'videos', KILN_S3_ENDPOINT: 'ftp://example.com' }).map((i) => i.variable),
    ).toEqual(['KILN_S3_ENDPOINT']);
    expect(issuesOf({ KILN_S3_BUCKET: 'videos', KILN_S3_PREFIX: 'a/../b' }).map((i) => i.variable)).toEqual([
      'KILN_S3_PREFIX',
    ]);
    expect(issuesOf({ KILN_S3_BUCKET: 'videos', KILN_S3_PREFIX: '/abs' }).map((i) => i.variable)).toEqual([
      'KILN_S3_PREFIX',
    ]);
    expect(issuesOf({ KILN_S3_BUCKET: 'videos', KILN_S3_FORCE_PATH_STYLE: 'maybe' }).map((i) => i.variable)).toEqual([
      'KILN_S3_FORCE_PATH_STYLE',
    ]);
  });
});
