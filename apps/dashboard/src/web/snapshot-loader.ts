/**
 * Runs snapshot reads one at a time. A request that arrives while a read is in flight schedules
 * exactly one more read after it, instead of joining it: the in-flight read may have started
 * before the `sync` (or reconnect) that asked for it, so it may miss changes made before the gate
 * opened. Many requests during one read still cost only one extra read.
 */
export class SnapshotLoader {
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(
    private readonly read: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Asks for a fresh snapshot; resolves when the reads this request caused are done. */
  request(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running !== null) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop();
    return this.#running;
  }

  /** Stops scheduling reads (sign-out); a read in flight finishes but none follows it. */
  stop(): void {
    this.#stopped = true;
    this.#again = false;
  }

  async #loop(): Promise<void> {
    try {
      do {
        this.#again = false;
        try {
          await this.read();
        } catch (err) {
          if (!this.#stopped) this.onError(err);
        }
      } while (this.#again && !this.#stopped);
    } finally {
      this.#running = null;
    }
  }
}
