import type { PusherTransport } from './pusher-transport.js';

/**
 * Readiness of an app's two dependencies: Redis answers PING, and Pusher answers an
 * authenticated API call (a channel listing, which is not a billed message). The Pusher answer
 * is cached briefly so a busy `/readyz` does not become load on Pusher.
 */
export class Readiness {
  private pusherCheckedAt = -Infinity;
  private pusherOk = false;

  constructor(
    private readonly redis: { ping(): Promise<unknown> },
    private readonly transport: Pick<PusherTransport, 'occupiedChannels'>,
    private readonly cacheMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async check(): Promise<{ redis: boolean; pusher: boolean }> {
    const redis = this.redis.ping().then(
      () => true,
      () => false,
    );
    if (this.now() - this.pusherCheckedAt > this.cacheMs) {
      this.pusherOk = await this.transport.occupiedChannels('kiln-readiness-').then(
        () => true,
        () => false,
      );
      this.pusherCheckedAt = this.now();
    }
    return { redis: await redis, pusher: this.pusherOk };
  }
}
