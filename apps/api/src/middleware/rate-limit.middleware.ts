import type { RequestHandler } from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import { redisNodes, type RedisClient } from '@kiln/jobs';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { TooManyRequestsError } from '../http.errors.js';

const WINDOW_MS = 60_000;

/**
 * SCRIPT LOAD names no key, so a cluster would load the script on one node picked at random and
 * the EVALSHA that follows (routed by its key) would find nothing: it goes to every node that
 * holds keys (on one Redis: that one). All load the same script, so each answers the same SHA.
 */
async function loadEverywhere(redis: RedisClient, args: string[]): Promise<unknown> {
  const [sha] = await Promise.all(redisNodes(redis).map((node) => node.call('SCRIPT', ...args)));
  return sha;
}

/**
 * The counters of {@link rateLimitPerKey} in Redis under `<prefix>:ratelimit:`, so every API
 * process draws from the same budget. One store per limiter (express-rate-limit insists).
 */
export function redisRateLimitStore(redis: RedisClient, prefix: string): Store {
  const store = new RedisStore({
    sendCommand: (command: string, ...args: string[]) =>
      (command.toUpperCase() === 'SCRIPT'
        ? loadEverywhere(redis, args)
        : redis.call(command, ...args)) as Promise<RedisReply>,
    prefix: `${prefix}:ratelimit:`,
  });
  // The store loads its scripts once; a load that failed (Redis away at that moment) would fail
  // every request after it, so they are loaded again whenever the connection is ready again.
  redis.on('ready', () => {
    if (store.windowMs === undefined) return; // not initialized yet: init() loads them
    store.incrementScriptSha = store.loadIncrementScript();
    store.getScriptSha = store.loadGetScript();
    for (const p of [store.incrementScriptSha, store.getScriptSha]) p.catch(() => undefined);
  });
  return store;
}

/**
 * At most `perMinute` requests per API key per minute (fixed window); 0 turns the limit off. Runs
 * after authentication, so it counts by key (a customer with two keys has two budgets), and by
 * viewer token for requests made with one (each token its own budget, apart from the keys'). Over the
 * limit: 429 with `Retry-After` and the usual JSON error.
 */
export function rateLimitPerKey(opts: { perMinute: number; store: Store }): RequestHandler {
  if (opts.perMinute === 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: opts.perMinute,
    store: opts.store,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // Unauthenticated requests never get here (auth runs first). A viewer token has a bucket of its
    // own: an end user holding one can spend its own budget, never its customer's API keys'.
    keyGenerator: (req) =>
      req.apiKeyId ?? (req.viewer ? `viewer:${req.viewer.id}` : `customer:${req.customerId ?? 'unknown'}`),
    handler: (req, res, next) => {
      const retryAfter = res.getHeader('Retry-After');
      next(
        new TooManyRequestsError(
          `rate limit of ${opts.perMinute} requests per minute per ${req.viewer ? 'viewer token' : 'API key'} reached; retry in ${String(retryAfter ?? 60)} s`,
        ),
      );
    },
  });
}
