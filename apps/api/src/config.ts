import {
  apiKeys,
  commonFields,
  csv,
  inputRoots,
  limitFields,
  port,
  positiveInt,
  pusherFields,
  withRedisCluster,
} from '@kiln/config';
import { isValidAllowEntry } from '@kiln/address-policy';
import { checkS3Config, s3Fields } from '@kiln/storage';
import { z } from 'zod';
import { httpTimeoutFields } from './http-server.js';

/** 2 GiB: a long 1080p source fits; anything larger should come as an http(s):// or file:// input. */
const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024;

/** Everything the API reads from the environment (see README, "Configuration"). */
export const apiConfigSchema = z
  .object({
    ...commonFields,
    ...pusherFields,
    ...httpTimeoutFields,
    /** A Redis command that gets no answer in this long fails, and its request answers 503 `redis_unavailable`. */
    KILN_REDIS_COMMAND_TIMEOUT_MS: z.coerce
      .number({ error: 'must be a number of milliseconds' })
      .int('must be a whole number')
      .min(50, 'must be at least 50')
      .max(60_000, 'must be at most 60000')
      .default(1000),
    KILN_API_KEYS: apiKeys,
    /** Default limits per customer (KILN_LIMIT_RUNNING, _QUEUED, _STORED_BYTES); `;name=value` after a key sets its customer's. */
    ...limitFields,
    KILN_API_PORT: port(3000),
    /** Live queue places (`queue.updated`) go to a watched channel at most once per this interval. */
    KILN_PROGRESS_INTERVAL_MS: positiveInt(1000, 60_000),
    KILN_INPUT_ROOTS: inputRoots,
    /** Private webhook receivers that may be registered and contacted (same form as KILN_INPUT_ALLOW_HOSTS). */
    KILN_WEBHOOK_ALLOW_HOSTS: csv
      .default([])
      .refine(
        (hosts) => hosts.every(isValidAllowEntry),
        'must be comma-separated host names, IP addresses or CIDR ranges',
      ),
    /** After a secret rotation, the old secret keeps signing deliveries (beside the new one) this many hours. */
    KILN_WEBHOOK_SECRET_OVERLAP_H: positiveInt(24, 24 * 30),
    KILN_STORAGE_DIR: z.string().default('.kiln/storage'),
    KILN_DASHBOARD_ORIGINS: csv.default(['http://127.0.0.1:3002', 'http://localhost:3002']),
    /** What browsers connect to when it differs from what the API publishes to (containers, proxies). */
    KILN_PUSHER_WS_HOST: z.string().optional(),
    KILN_PUSHER_WS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    /** Requests per minute per API key on `/v1`, shared by every API process through Redis; 0 turns the limit off. */
    KILN_RATE_LIMIT_PER_MIN: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be 0 (off) or more')
      .max(1_000_000, 'must be at most 1000000')
      .default(600),
    /** Uploads on local disk older than this are removed (hourly); 0 keeps them. With S3, use a lifecycle rule. */
    KILN_UPLOAD_TTL_H: z.coerce
      .number({ error: 'must be a number of hours' })
      .int('must be a whole number')
      .min(0, 'must be 0 (keep) or more')
      .max(24 * 365, 'must be at most 8760')
      .default(168),
    /** Finished jobs (completed, failed, cancelled) are deleted with their outputs this many days after finishedAt; 0 keeps them. */
    KILN_JOB_TTL_DAYS: z.coerce
      .number({ error: 'must be a number of days' })
      .int('must be a whole number')
      .min(0, 'must be 0 (keep for ever) or more')
      .max(36_500, 'must be at most 36500')
      .default(0),
    KILN_MAX_UPLOAD_BYTES: z.coerce
      .number({ error: 'must be a number of bytes' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(Number.MAX_SAFE_INTEGER)
      .default(DEFAULT_MAX_UPLOAD_BYTES),
    /** HMAC key of signed output URLs and viewer tokens; unset, each API process makes up its own (and warns). */
    KILN_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').max(4096).optional(),
    /** The origin signed URLs start with (a proxy's); unset, the request's protocol and host. */
    KILN_PUBLIC_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
      .refine((u) => !/[?#]/.test(u), 'must not have a query or a fragment')
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    /** Bull Board at /admin/queues is mounted only when both are set. */
    KILN_ADMIN_USER: z
      .string()
      .max(128, 'must be at most 128 characters')
      .regex(/^[^:]+$/, 'must not contain ":"')
      .optional(),
    KILN_ADMIN_PASSWORD: z
      .string()
      .min(8, 'must be at least 8 characters')
      .max(1024, 'must be at most 1024 characters')
      .optional(),
    /** KILN_S3_*: with KILN_S3_BUCKET set, outputs and uploads are in that bucket instead of KILN_STORAGE_DIR. */
    ...s3Fields,
  })
  .superRefine((c, ctx) => {
    checkS3Config(c, ctx);
    const customers = new Set(c.KILN_API_KEYS.values());
    const unknown = c.KILN_INPUT_ROOTS.customers.filter((id) => !customers.has(id));
    if (unknown.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['KILN_INPUT_ROOTS'],
        message: `names customers without a key in KILN_API_KEYS: ${unknown.join(', ')}`,
      });
    if ((c.KILN_ADMIN_USER === undefined) !== (c.KILN_ADMIN_PASSWORD === undefined)) {
      const missing = c.KILN_ADMIN_USER === undefined ? 'KILN_ADMIN_USER' : 'KILN_ADMIN_PASSWORD';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'set both KILN_ADMIN_USER and KILN_ADMIN_PASSWORD to enable /admin/queues, or neither',
      });
    }
  })
  .transform(withRedisCluster);
export type ApiConfig = z.output<typeof apiConfigSchema>;
