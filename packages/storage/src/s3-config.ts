import { z } from 'zod';
import type { S3BucketOptions } from './s3-bucket.adapter.js';

/**
 * Whether `name` is a valid S3 bucket name (general purpose buckets): 3-63 characters of lower-case
 * letters, digits, `.` and `-`, starting and ending with a letter or digit, no `..`, not shaped
 * like an IP address, and none of the prefixes and suffixes AWS reserves.
 */
export function isValidBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d{1,3}(\.\d{1,3}){3}$/.test(name) &&
    !/^(xn--|sthree-|amzn-s3-demo-)/.test(name) &&
    !/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)
  );
}

const optionalBool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes')
  .optional();

/**
 * The KILN_S3_* variables, shared by the API and the worker. With KILN_S3_BUCKET set, outputs and
 * uploads go to that bucket; without it, to KILN_STORAGE_DIR. Spread into a config object and
 * add {@link checkS3Config} as a refinement.
 */
export const s3Fields = {
  /** Omitted: AWS S3. For MinIO, R2, Ceph...: their URL (path-style addressing is then the default). */
  KILN_S3_ENDPOINT: z
    .string()
    .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'must be an http:// or https:// URL')
    .optional(),
  KILN_S3_BUCKET: z
    .string()
    .refine(
      isValidBucketName,
      'must be a valid S3 bucket name: 3-63 lower-case letters, digits, "." or "-", starting and ending with a letter or digit',
    )
    .optional(),
  KILN_S3_REGION: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'must be a region name such as us-east-1')
    .default('us-east-1'),
  KILN_S3_ACCESS_KEY_ID: z.string().max(256, 'must be at most 256 characters').optional(),
  KILN_S3_SECRET_ACCESS_KEY: z.string().max(1024, 'must be at most 1024 characters').optional(),
  KILN_S3_FORCE_PATH_STYLE: optionalBool,
  /** Put before every key, e.g. `kiln/`; a missing trailing `/` is added. */
  KILN_S3_PREFIX: z
    .string()
    .regex(
      /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*\/?$/,
      'must be path segments of letters, digits, "_", "-" or "." separated by "/", e.g. kiln/',
    )
    .refine((s) => !s.split('/').some((seg) => seg === '.' || seg === '..'), 'must not contain "." or ".." segments')
    .transform((s) => (s.endsWith('/') ? s : `${s}/`))
    .optional(),
};

/** The parsed KILN_S3_* values (and KILN_STORAGE_DIR), as {@link s3Fields} and the apps produce them. */
export interface S3ConfigValues {
  KILN_S3_ENDPOINT?: string | undefined;
  KILN_S3_BUCKET?: string | undefined;
  KILN_S3_REGION: string;
  KILN_S3_ACCESS_KEY_ID?: string | undefined;
  KILN_S3_SECRET_ACCESS_KEY?: string | undefined;
  KILN_S3_FORCE_PATH_STYLE?: boolean | undefined;
  KILN_S3_PREFIX?: string | undefined;
}

/**
 * Cross-field checks for {@link s3Fields}, for a zod `superRefine`: both keys or neither (neither
 * means the SDK's default credential chain), and no S3 setting without a bucket to apply it to.
 */
export function checkS3Config(c: S3ConfigValues, ctx: z.RefinementCtx): void {
  if ((c.KILN_S3_ACCESS_KEY_ID === undefined) !== (c.KILN_S3_SECRET_ACCESS_KEY === undefined)) {
    const missing = c.KILN_S3_ACCESS_KEY_ID === undefined ? 'KILN_S3_ACCESS_KEY_ID' : 'KILN_S3_SECRET_ACCESS_KEY';
    ctx.addIssue({
      code: 'custom',
      path: [missing],
      message:
        'set both KILN_S3_ACCESS_KEY_ID and KILN_S3_SECRET_ACCESS_KEY, or neither to use the default AWS credential chain',
    });
  }
  if (c.KILN_S3_BUCKET === undefined) {
    for (const name of [
      'KILN_S3_ENDPOINT',
      'KILN_S3_ACCESS_KEY_ID',
      'KILN_S3_SECRET_ACCESS_KEY',
      'KILN_S3_PREFIX',
    ] as const) {
      if (c[name] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['KILN_S3_BUCKET'],
          message: `is required when ${name} is set (without a bucket, outputs are stored in KILN_STORAGE_DIR)`,
        });
    }
  }
}

/** The bucket settings of a parsed config, or undefined when KILN_S3_BUCKET is not set (local storage). */
export function s3BucketOptions(c: S3ConfigValues): S3BucketOptions | undefined {
  if (!c.KILN_S3_BUCKET) return undefined;
  return {
    bucket: c.KILN_S3_BUCKET,
    endpoint: c.KILN_S3_ENDPOINT,
    region: c.KILN_S3_REGION,
    accessKeyId: c.KILN_S3_ACCESS_KEY_ID,
    secretAccessKey: c.KILN_S3_SECRET_ACCESS_KEY,
    forcePathStyle: c.KILN_S3_FORCE_PATH_STYLE ?? c.KILN_S3_ENDPOINT !== undefined,
    prefix: c.KILN_S3_PREFIX ?? '',
  };
}
