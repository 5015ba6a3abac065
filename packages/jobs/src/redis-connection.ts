import { Redis, type RedisOptions } from 'ioredis';

/**
 * Opens an ioredis connection the way BullMQ needs it: `maxRetriesPerRequest: null` so blocking
 * commands survive reconnects (BullMQ refuses worker connections without it).
 */
export function createRedisConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
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
 */
export function createRequestRedisConnection(url: string, opts: { commandTimeoutMs: number }): Redis {
  return new Redis(url, {
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
const UNAVAILABLE_NAMES = new Set(['MaxRetriesPerRequestError', 'AbortError', 'ConnectionClosedError']);
const UNAVAILABLE_MESSAGES = [
  /^Command timed out$/,
  /enableOfflineQueue options is false/,
  /^Connection is closed\.?$/,
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

/** Resolves once `redis` is connected and ready (at once when it is). */
export function redisReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => redis.once('ready', () => resolve()));
}
