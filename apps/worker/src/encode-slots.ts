import { SlotsClosedError } from './run.errors.js';

/**
 * The encode slots of one worker process: at most `size` ffmpeg encodes run at once. BullMQ takes
 * a few more jobs than that (the prefetch), which fetch and probe their inputs while the slots are
 * busy and wait here for their turn, so the cores never idle through a download or an ffprobe
 * start. Slots are given in the order they were asked for.
 */
export class EncodeSlots {
  private free: number;
  private closed = false;
  private readonly waiters: { grant: () => void; refuse: (err: Error) => void }[] = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  /** Encodes running now. */
  get busy(): number {
    return this.size - this.free;
  }

  /** Jobs waiting for a slot. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** A slot now, or undefined when all are busy (or the slots are closed). */
  tryAcquire(): (() => void) | undefined {
    if (this.closed || this.free === 0) return undefined;
    this.free--;
    return this.releaser();
  }

  /**
   * Resolves with a release function once a slot is free. Rejects with the signal's reason when
   * it aborts first, and with {@link SlotsClosedError} when {@link close} is called first.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.closed) return Promise.reject(new SlotsClosedError('worker is shutting down'));
    if (signal?.aborted)
      return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
        refuse: (err: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason instanceof Error ? signal!.reason : new Error(String(signal!.reason)));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Refuses every waiting and future request; running encodes keep their slots. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.refuse(new SlotsClosedError('worker is shutting down'));
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next.grant();
      else this.free++;
    };
  }
}

/**
 * One run's hold on an encode slot: taken at once when one is free, or waited for later (a
 * prefetched job), and let go by one `release` whichever way the run ends.
 */
export class SlotClaim {
  private releaser: (() => void) | undefined;

  constructor(private readonly slots: EncodeSlots) {}

  /** Whether the run holds a slot now. */
  get held(): boolean {
    return this.releaser !== undefined;
  }

  /** Takes a free slot if there is one; true when the run holds one now. */
  tryTake(): boolean {
    this.releaser ??= this.slots.tryAcquire();
    return this.held;
  }

  /** Waits for a slot (see {@link EncodeSlots.acquire}). */
  async take(signal?: AbortSignal): Promise<void> {
    this.releaser ??= await this.slots.acquire(signal);
  }

  /** Lets the slot go (nothing when none is held). */
  release(): void {
    const release = this.releaser;
    this.releaser = undefined;
    release?.();
  }
}
