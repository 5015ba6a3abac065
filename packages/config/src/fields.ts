import { z } from 'zod';
import { isCustomerId } from './customer-id.js';
import { mergeCustomerLimits, parseKeyLimits, type LimitOverrides } from './customer-limits.js';
import { redisPrefix, redisUrl } from './redis-fields.js';

/** A TCP port; 0 where `allowZero` (meaning "pick a free one"). */
export const port = (fallback: number, allowZero = false) =>
  z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole number')
    .min(allowZero ? 0 : 1, allowZero ? 'must be 0-65535' : 'must be 1-65535')
    .max(65535, 'must be at most 65535')
    .default(fallback);

/** A positive whole number with a default. */
export const positiveInt = (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`)
    .default(fallback);

/** A boolean written as true/false/1/0/yes/no. */
export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'yes')
    .default(fallback);

/** A comma-separated list, trimmed, empty entries dropped. */
export const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

export const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    error: 'must be one of fatal, error, warn, info, debug, trace, silent',
  })
  .default('info');

/** Customer API keys: `customerId:key,customerId:key`. */
/** Customer ids the storage layout uses for itself: `<storage>/uploads/…` holds every customer's uploads. */
const RESERVED_CUSTOMER_IDS = new Set(['uploads']);

/**
 * The parsed KILN_API_KEYS: a map of API key → customer id (what authentication reads), and the
 * limits the entries set per customer (`limits`, which `customerLimits` turns into a `CustomerLimits`).
 */
export class ApiKeyMap extends Map<string, string> {
  constructor(
    entries: Iterable<readonly [string, string]>,
    /** Limits set after the keys, by customer id; customers without any are not listed. */
    readonly limits: ReadonlyMap<string, LimitOverrides> = new Map(),
  ) {
    super(entries);
  }
}

/** One `customerId:key[;name=value…]` entry, or a message naming what is wrong with it. */
function parseKeyEntry(entry: string): { customerId: string; key: string; limits: LimitOverrides } | { error: string } {
  const [head = '', ...pairs] = entry.split(';');
  const sep = head.indexOf(':');
  const customerId = sep > 0 ? head.slice(0, sep) : '';
  const key = sep > 0 ? head.slice(sep + 1) : '';
  if (!isCustomerId(customerId) || key.length < 16)
    return {
      error: `entry ${JSON.stringify(entry.slice(0, 24))}… must be customerId:key with an id of [A-Za-z0-9_-] and a key of at least 16 characters`,
    };
  if (RESERVED_CUSTOMER_IDS.has(customerId.toLowerCase()))
    return {
      error: `customer id ${JSON.stringify(customerId)} is reserved (storage keeps uploads under that name); pick another`,
    };
  const parsed = parseKeyLimits(pairs);
  if ('error' in parsed) return { error: `customer ${JSON.stringify(customerId)}: ${parsed.error}` };
  return { customerId, key, limits: parsed.limits };
}

/**
 * Customer API keys: `customerId:key,customerId:key`, each key optionally followed by the
 * customer's limits: `acme:KEY;running=2;queued=100;stored=50GB`. Parses into an {@link ApiKeyMap}.
 */
export const apiKeys = z.string({ error: 'is required: customerId:key,customerId:key' }).transform((s, ctx) => {
  const byKey = new Map<string, string>();
  const limits = new Map<string, LimitOverrides>();
  const fail = (message: string) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  for (const entry of s
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const parsed = parseKeyEntry(entry);
    if ('error' in parsed) return fail(parsed.error);
    if (byKey.has(parsed.key)) return fail('the same key is given twice');
    const conflict = mergeCustomerLimits(limits, parsed.customerId, parsed.limits);
    if (conflict) return fail(conflict);
    byKey.set(parsed.key, parsed.customerId);
  }
  if (byKey.size === 0) return fail('needs at least one customerId:key');
  return new ApiKeyMap(byKey, limits);
});

/** The Pusher app every publisher talks to and whose webhooks are verified. */
export const pusherFields = {
  PUSHER_APP_ID: z.string({ error: 'is required (the Pusher app id)' }).min(1),
  PUSHER_KEY: z.string({ error: 'is required (the Pusher app key)' }).min(1),
  PUSHER_SECRET: z.string({ error: 'is required (the Pusher app secret)' }).min(1),
  PUSHER_CLUSTER: z.string().default('mt1'),
  PUSHER_HOST: z.string().optional(),
  PUSHER_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  PUSHER_USE_TLS: bool(true),
};

/** Pusher connection settings in the shape the server SDK and our publishers use. */
export interface PusherSettings {
  appId: string;
  key: string;
  secret: string;
  cluster: string;
  host: string | undefined;
  port: number | undefined;
  useTLS: boolean;
}

/** Picks {@link PusherSettings} out of a parsed config holding {@link pusherFields}. */
export function pusherSettings(c: {
  PUSHER_APP_ID: string;
  PUSHER_KEY: string;
  PUSHER_SECRET: string;
  PUSHER_CLUSTER: string;
  PUSHER_HOST?: string | undefined;
  PUSHER_PORT?: number | undefined;
  PUSHER_USE_TLS: boolean;
}): PusherSettings {
  return {
    appId: c.PUSHER_APP_ID,
    key: c.PUSHER_KEY,
    secret: c.PUSHER_SECRET,
    cluster: c.PUSHER_CLUSTER,
    host: c.PUSHER_HOST,
    port: c.PUSHER_PORT,
    useTLS: c.PUSHER_USE_TLS,
  };
}

/**
 * Variables every Kiln app shares. A schema holding them ends with `.transform(withRedisCluster)`
 * (the rule between REDIS_URL, KILN_REDIS_CLUSTER and KILN_REDIS_PREFIX).
 */
export const commonFields = {
  REDIS_URL: redisUrl,
  /** Whether REDIS_URL names the seed nodes of a Redis Cluster rather than one Redis. */
  KILN_REDIS_CLUSTER: bool(false),
  KILN_REDIS_PREFIX: redisPrefix,
  KILN_LOG_LEVEL: logLevel,
};
