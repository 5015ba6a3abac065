import { z } from 'zod';
import { BYTE_SIZE_FORMAT, byteSize, parseByteSize } from './byte-size.js';

/** A customer's limits; null where there is none. */
export interface LimitValues {
  /** Jobs running at once (probing, encoding or storing). */
  running: number | null;
  /** Jobs waiting to run (queued). */
  queued: number | null;
  /** Bytes stored for the customer: completed outputs of its jobs plus its uploads. */
  storedBytes: number | null;
}

/** The limits one customer's API keys set in KILN_API_KEYS; unset ones fall back to the defaults. */
export type LimitOverrides = Partial<LimitValues>;

/** How a limit is spelled after a key in KILN_API_KEYS (`acme:KEY;running=2;queued=100;stored=50GB`). */
const KEY_LIMIT_NAMES = { running: 'running', queued: 'queued', stored: 'storedBytes' } as const;
type KeyLimitName = keyof typeof KEY_LIMIT_NAMES;

/** 0 means "no limit" in every limit setting. */
const orNone = (n: number): number | null => (n === 0 ? null : n);

/** Each limit by the name KILN_API_KEYS spells it with. */
const FORM_NAME: Record<keyof LimitValues, KeyLimitName> = {
  running: 'running',
  queued: 'queued',
  storedBytes: 'stored',
};

/**
 * The limits of every customer: the defaults (KILN_LIMIT_RUNNING, KILN_LIMIT_QUEUED,
 * KILN_LIMIT_STORED_BYTES) with what a customer's API keys set over them. Limits belong to the
 * customer, not to a key: every key of a customer shares them.
 */
export class CustomerLimits {
  constructor(
    readonly defaults: LimitValues,
    private readonly overrides: ReadonlyMap<string, LimitOverrides> = new Map(),
  ) {}

  /** The limits of one customer (null = none). */
  for(customerId: string): LimitValues {
    return { ...this.defaults, ...this.overrides.get(customerId) };
  }
}

const count = (fallback: number, what: string) =>
  z.coerce
    .number({ error: `must be a number of ${what} (0 = no limit)` })
    .int('must be a whole number')
    .min(0, 'must be 0 (no limit) or more')
    .max(Number.MAX_SAFE_INTEGER)
    .default(fallback);

/** The default limits of every customer; a customer's API keys may set others (see {@link parseKeyLimits}). */
export const limitFields = {
  /** Jobs of one customer running at once; 0 = no cap. */
  KILN_LIMIT_RUNNING: count(0, 'jobs'),
  /** Jobs of one customer waiting to run; 0 = no limit. */
  KILN_LIMIT_QUEUED: count(1000, 'jobs'),
  /** Bytes stored for one customer (outputs and uploads); 0 = no limit. */
  KILN_LIMIT_STORED_BYTES: byteSize(0),
};

/** The parsed {@link limitFields}, with 0 read as "no limit". */
export function defaultLimits(c: {
  KILN_LIMIT_RUNNING: number;
  KILN_LIMIT_QUEUED: number;
  KILN_LIMIT_STORED_BYTES: number;
}): LimitValues {
  return {
    running: orNone(c.KILN_LIMIT_RUNNING),
    queued: orNone(c.KILN_LIMIT_QUEUED),
    storedBytes: orNone(c.KILN_LIMIT_STORED_BYTES),
  };
}

/**
 * The limits of every customer from a parsed config: the KILN_LIMIT_* defaults and what the
 * entries of KILN_API_KEYS set (an `ApiKeyMap`'s `limits`).
 */
export function customerLimits(
  c: Parameters<typeof defaultLimits>[0] & { KILN_API_KEYS: { limits: ReadonlyMap<string, LimitOverrides> } },
): CustomerLimits {
  return new CustomerLimits(defaultLimits(c), c.KILN_API_KEYS.limits);
}

/** One `name=value` limit after a key; a message naming the bad part when it is not one. */
function parseKeyLimit(pair: string): { name: keyof LimitValues; value: number | null } | { error: string } {
  const eq = pair.indexOf('=');
  const name = (eq > 0 ? pair.slice(0, eq) : pair).trim();
  const text = eq > 0 ? pair.slice(eq + 1).trim() : '';
  if (!Object.hasOwn(KEY_LIMIT_NAMES, name))
    return { error: `unknown limit ${JSON.stringify(name)}; use running=N, queued=N or stored=SIZE` };
  const value = name === 'stored' ? parseByteSize(text) : /^\d+$/.test(text) ? Number(text) : undefined;
  if (value === undefined || !Number.isSafeInteger(value))
    return {
      error: `limit ${JSON.stringify(pair.trim())} ${name === 'stored' ? BYTE_SIZE_FORMAT : 'must be a whole number of jobs (0 = no limit)'}`,
    };
  return { name: KEY_LIMIT_NAMES[name as KeyLimitName], value: orNone(value) };
}

/**
 * The limits written after one key (`running=2`, `queued=100`, `stored=50GB`; 0 = no limit), or a
 * message naming the bad part. Each name at most once.
 */
export function parseKeyLimits(pairs: readonly string[]): { limits: LimitOverrides } | { error: string } {
  const limits: LimitOverrides = {};
  for (const pair of pairs) {
    const parsed = parseKeyLimit(pair);
    if ('error' in parsed) return parsed;
    if (parsed.name in limits) return { error: `limit ${JSON.stringify(pair.trim())} is given twice for one key` };
    limits[parsed.name] = parsed.value;
  }
  return { limits };
}

/**
 * Adds the limits one key sets to those its customer's other keys set; a message naming the
 * customer and the limit when two keys disagree (limits belong to the customer).
 */
export function mergeCustomerLimits(
  into: Map<string, LimitOverrides>,
  customerId: string,
  limits: LimitOverrides,
): string | undefined {
  const known = into.get(customerId) ?? {};
  for (const [name, value] of Object.entries(limits) as [keyof LimitValues, number | null][]) {
    if (name in known && known[name] !== value)
      return `customer ${JSON.stringify(customerId)} has different ${FORM_NAME[name]} limits on two keys (${String(known[name] ?? 0)} and ${String(value ?? 0)}); limits belong to the customer: give them on one key or the same on each`;
    known[name] = value;
  }
  if (Object.keys(known).length > 0) into.set(customerId, known);
  return undefined;
}
