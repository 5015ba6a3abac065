import { z } from 'zod';

const REDIS_URL_FORM = /^rediss?:\/\/[^\s,/]+/;

/**
 * The URLs in REDIS_URL: one for a single Redis, or (with KILN_REDIS_CLUSTER) comma-separated
 * seed nodes of a Redis Cluster, each a full URL (`redis://h1:7000,redis://h2:7001`). The one
 * owner of that form: the config checks it and the connection code reads it.
 */
export function redisUrls(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** REDIS_URL: a redis:// or rediss:// URL, or (cluster) a comma-separated list of them. */
export const redisUrl = z
  .string()
  .refine(
    (s) => redisUrls(s).length > 0 && redisUrls(s).every((u) => REDIS_URL_FORM.test(u)),
    'must be a redis:// or rediss:// URL (with KILN_REDIS_CLUSTER=true: comma-separated redis:// URLs of seed nodes)',
  )
  .default('redis://127.0.0.1:6379');

/** Prefix of every Redis key Kiln writes (BullMQ's included); lets several farms share one Redis. */
export const redisPrefix = z
  .string()
  .regex(/^[A-Za-z0-9_{}:-]{1,64}$/, 'use letters, digits, "_", "-", ":" or hash-tag braces')
  .default('kiln');

/**
 * Whether every key starting with `prefix` hashes to one cluster slot: the prefix holds a hash
 * tag, a `{` followed later by a `}` with something between (Redis hashes only the first one).
 */
function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  const close = open === -1 ? -1 : prefix.indexOf('}', open + 1);
  return close > open + 1;
}

interface RedisFields {
  REDIS_URL: string;
  KILN_REDIS_CLUSTER: boolean;
  KILN_REDIS_PREFIX: string;
}

/**
 * The rule between the Redis variables, applied after the app's schema parsed them: several URLs
 * need cluster mode, cluster seeds share one scheme, and in cluster mode the key prefix carries a
 * hash tag (`kiln` becomes `{kiln}`). Kiln's and BullMQ's scripts touch keys they derive
 * themselves, so every key must sit in one slot; each app derives the same prefix here.
 */
export function withRedisCluster<T extends RedisFields>(config: T, ctx: z.RefinementCtx<T>): T {
  const urls = redisUrls(config.REDIS_URL);
  if (!config.KILN_REDIS_CLUSTER) {
    if (urls.length > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_URL'],
        message: 'lists several URLs; set KILN_REDIS_CLUSTER=true for the seed nodes of a Redis Cluster',
      });
    return config;
  }
  if (new Set(urls.map((u) => u.slice(0, u.indexOf(':')))).size > 1)
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_URL'],
      message: 'seed nodes must all be redis:// or all rediss://',
    });
  if (hasHashTag(config.KILN_REDIS_PREFIX)) return config;
  return { ...config, KILN_REDIS_PREFIX: `{${config.KILN_REDIS_PREFIX}}` };
}
