import type { PusherTransport } from './pusher-transport.js';

/** `true` when `promise` resolves within `ms`, `false` when it rejects or takes longer. */
function answersWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([
    promise.then(
      () => true,
      () => false,
    ),
    late,
  ]).finally(() => clearTimeout(timer));
}

/** Something that answers PING: an ioredis connection. */
export interface Pingable {
  ping(): Promise<unknown>;
}

/** What {@link Readiness} asks, and how patiently. */
export interface ReadinessDeps {
  /** Every connection the app's requests use. */
  redis: readonly Pingable[];
  pusher: Pick<PusherTransport, 'occupiedChannels'>;
  /** How long a Pusher answer is reused (default 10 s). */
  cacheMs?: number;
  now?: () => number;
  /** How long each dependency has to answer (default 1 s). */
  timeoutMs?: number;
}

/**
 * Readiness of an app's two dependencies: Redis answers PING on every connection the app's
 * requests use (one that is still reconnecting after an outage would fail them), and Pusher answers an
 * authenticated API call (a channel listing, which is not a billed message). The Pusher answer
 * is cached briefly so a busy `/readyz` does not become load on Pusher. Both are asked at once
 * and each counts as down when it does not answer within `timeoutMs`, so a hung Redis (or a
 * connection that queues commands while away) cannot hang `/readyz`.
 */
export class Readiness {
  private pusherCheckedAt = -Infinity;
  private pusherOk = false;

  private readonly redis: readonly Pingable[];
  private readonly transport: Pick<PusherTransport, 'occupiedChannels'>;
  private readonly cacheMs: number;
  private readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(deps: ReadinessDeps) {
    this.redis = deps.redis;
    this.transport = deps.pusher;
    this.cacheMs = deps.cacheMs ?? 10_000;
    this.now = deps.now ?? Date.now;
    this.timeoutMs = deps.timeoutMs ?? 1_000;
  }

  async check(): Promise<{ redis: boolean; pusher: boolean }> {
    const redis = Promise.all(this.redis.map((connection) => answersWithin(connection.ping(), this.timeoutMs))).then(
      (answers) => answers.every(Boolean),
    );
    if (this.now() - this.pusherCheckedAt > this.cacheMs) {
      this.pusherOk = await answersWithin(this.transport.occupiedChannels('kiln-readiness-'), this.timeoutMs);
      this.pusherCheckedAt = this.now();
    }
    return { redis: await redis, pusher: this.pusherOk };
  }
}
