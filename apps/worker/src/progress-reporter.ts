import type { JobProgress } from '@kiln/jobs';

/**
 * Throttles progress writes: at most one per interval, the latest value wins, writes never
 * overlap, and `flush()` writes the last pending value so the final progress is never lost.
 * (Writing on every ffmpeg callback floods Redis and the event stream: BullMQ #2186.)
 */
export class ProgressReporter<T = JobProgress> {
  private pending: T | undefined;
  private lastWriteAt = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (p: T) => Promise<void>,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the newest progress; writes now if the interval has passed, else soon after. */
  report(progress: T): void {
    this.pending = progress;
    const wait = this.lastWriteAt + this.intervalMs - this.now();
    if (wait <= 0) this.drain();
    else this.timer ??= setTimeout(() => this.drain(), wait);
  }

  /** Writes what is pending and waits for every write to finish. */
  async flush(): Promise<void> {
    this.drain();
    await this.inFlight;
  }

  /** Drops what is pending (the job ended another way). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private drain(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const value = this.pending;
    if (!value) return;
    this.pending = undefined;
    this.lastWriteAt = this.now();
    this.inFlight = this.inFlight.then(() => this.write(value)).catch(() => undefined);
  }
}
