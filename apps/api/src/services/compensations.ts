import { isRedisUnavailableError } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';

/** How often kept undos are tried again while there are any (a hung Redis never reconnects, so 'ready' alone is not enough). */
const RETRY_INTERVAL_MS = 2_000;
/** Undos kept at most; past it they are logged and dropped (a Redis away for very long under heavy load). */
const MAX_PENDING = 10_000;

/**
 * Undoes the writes of requests that answered "try again" although their writes may still land:
 * a command sent to a hung Redis runs when it wakes up, and one that Redis ran just before it
 * died is in its AOF. Each undo is sent at once (so on the same connection it queues behind the
 * write it undoes and runs right after it); one Redis cannot take now is kept and tried again
 * every 2 s and whenever a connection is ready again, until it gets through. Undos must be
 * idempotent. Kept in memory: an API process that dies loses them (its clients got no answer).
 */
export class Compensations {
  private readonly pending = new Map<string, () => Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private retrying: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly maxPending = MAX_PENDING,
  ) {}

  /** Undos still waiting for Redis. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Runs `undo` now (its first command is written before this returns) and keeps it for later if
   * Redis cannot take it. Never throws; callers need not wait for it.
   */
  run(key: string, undo: () => Promise<unknown>): Promise<void> {
    let attempt: Promise<unknown>;
    try {
      attempt = undo();
    } catch (err) {
      attempt = Promise.reject(err);
    }
    return attempt.then(
      () => void this.pending.delete(key),
      (err: unknown) => this.keep(key, undo, err),
    );
  }

  /** Tries every kept undo again, in order, and stops at the first Redis still cannot take. */
  retry(): Promise<void> {
    this.retrying ??= (async () => {
      try {
        for (const [key, undo] of [...this.pending]) {
          try {
            await undo();
            this.pending.delete(key);
          } catch (err) {
            if (isRedisUnavailableError(err)) return;
            this.pending.delete(key);
            this.logger.error({ err, key }, 'an undo failed for good; its write may be left behind');
          }
        }
      } finally {
        this.retrying = undefined;
        if (this.pending.size === 0) this.stopTimer();
      }
    })();
    return this.retrying;
  }

  /** Stops retrying (shutdown); what is still kept is logged. */
  stop(): void {
    this.stopTimer();
    if (this.pending.size > 0) this.logger.warn({ pending: [...this.pending.keys()] }, 'undos not done at shutdown');
  }

  private keep(key: string, undo: () => Promise<unknown>, err: unknown): void {
    if (!isRedisUnavailableError(err)) {
      this.pending.delete(key);
      this.logger.error({ err, key }, 'an undo failed for good; its write may be left behind');
      return;
    }
    if (!this.pending.has(key) && this.pending.size >= this.maxPending) {
      this.logger.error({ key, pending: this.pending.size }, 'too many undos waiting for Redis; this one is dropped');
      return;
    }
    this.pending.set(key, undo);
    this.timer ??= setInterval(() => void this.retry(), RETRY_INTERVAL_MS).unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
