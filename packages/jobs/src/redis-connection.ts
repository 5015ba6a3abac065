import { redisUrls } from '@kiln/config';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** A connection to one Redis or to a Redis Cluster: what Kiln's repositories and BullMQ are given. */
export type RedisClient = Redis | Cluster;

/**
 * Where Redis is: REDIS_URL (one URL, or with `cluster` the comma-separated URLs of a Redis
 * Cluster's seed nodes). A plain string is one Redis.
 */
export type RedisTarget = string | { url: string; cluster: boolean };

/** The {@link RedisTarget} of an app's parsed config (REDIS_URL and KILN_REDIS_CLUSTER). */
export function redisTarget(config: { REDIS_URL: string; KILN_REDIS_CLUSTER: boolean }): RedisTarget {
  return { url: config.REDIS_URL, cluster: config.KILN_REDIS_CLUSTER };
}

/**
 * Connects to `target` with `options`. On a cluster, the offline queue and the ready check are
 * the cluster's and the rest applies to each node's connection; credentials and TLS
 * (`rediss://`) come from the first seed URL and apply to every node the cluster reports, seeds
 * or not. With TLS, host names are not resolved (`dnsLookup`) so certificates issued for them
 * still match, as managed clusters need.
 */
function connect(target: RedisTarget, options: RedisOptions): RedisClient {
  const { url, cluster } = typeof target === 'string' ? { url: target, cluster: false } : target;
  if (!cluster) return new Redis(url, options);
  const { enableOfflineQueue, enableReadyCheck, ...node } = options;
  const seeds = redisUrls(url).map((u) => new URL(u));
  const first = seeds[0]!;
  const tls = first.protocol === 'rediss:';
  return new Cluster(
    seeds.map((u) => ({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) })),
    {
      enableOfflineQueue,
      enableReadyCheck,
      ...(tls ? { dnsLookup: (address, done) => done(null, address) } : {}),
      redisOptions: {
        ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
        ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
        ...(tls ? { tls: {} } : {}),
        ...node,
      },
    },
  );
}

/**
 * Opens a connection the way BullMQ needs it: `maxRetriesPerRequest: null` so blocking commands
 * survive reconnects (BullMQ refuses worker connections without it); on a cluster, every node's
 * connection is made so.
 */
export function createRedisConnection(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  return connect(target, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/**
 * A connection for code that answers requests (the API): a command fails instead of waiting for
 * Redis, and nothing is sent again behind the caller's back. Commands are not queued while
 * disconnected (`enableOfflineQueue: false`), commands in flight when the connection drops are
 * failed at once (`maxRetriesPerRequest: 0`) and not re-sent after the reconnect
 * (`autoResendUnfulfilledCommands: false`), and a command a hung Redis does not answer fails after
 * `commandTimeoutMs`. So a request that answered "try again" cannot have its writes replayed
 * minutes later; a write already delivered to a hung Redis still runs when it wakes up, which
 * is for the caller to undo. Not for BullMQ workers or subscribers, which must wait.
 *
 * On a cluster the same holds for each node's connection, and commands are refused while the
 * cluster is not ready; what ioredis's Cluster still retries by itself are redirections
 * (MOVED, ASK) and, for a bounded time, CLUSTERDOWN and TRYAGAIN replies during a failover.
 */
export function createRequestRedisConnection(target: RedisTarget, opts: { commandTimeoutMs: number }): RedisClient {
  return connect(target, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: opts.commandTimeoutMs,
    enableReadyCheck: true,
  });
}

// What ioredis (and BullMQ on top of it) rejects a command with when Redis is away, hung, or not
// taking commands yet; a reply error (a bug, bad arguments) is none of these. ioredis gives a class
// (matched by name) where it has one; a command timeout, a closed connection and a refused offline
// command are plain Errors in ioredis 6, so their text is all there is.
const UNAVAILABLE_NAMES = new Set([
  'MaxRetriesPerRequestError',
  'AbortError',
  'ConnectionClosedError',
  'ClusterAllFailedError',
]);
const UNAVAILABLE_MESSAGES = [
  /^Command timed out$/,
  /enableOfflineQueue options is false/,
  /^Connection is closed\.?$/,
  /^Too many Cluster redirections/,
];
// Redis's own error replies start with their error code (the protocol, not a library's wording).
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|MASTERDOWN|MISCONF|TRYAGAIN|CLUSTERDOWN) /;
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Whether `err` says Redis could not be reached or did not answer (as opposed to refusing a command). */
export function isRedisUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (UNAVAILABLE_NAMES.has(err.name)) return true;
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) return true;
  if (err.name === 'ReplyError') return UNAVAILABLE_REPLY.test(err.message);
  return UNAVAILABLE_MESSAGES.some((re) => re.test(err.message));
}

/**
 * The connections that together hold every key: `redis` itself, or each master of a cluster (a
 * SCAN or KEYS reads one node only). Read once the connection is ready.
 */
export function redisNodes(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/** Resolves once `redis` is connected and ready (at once when it is). */
export function redisReady(redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => redis.once('ready', () => resolve()));
}
