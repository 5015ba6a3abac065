import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The launcher's side of the orphan guard (see `orphan-guard.main.ts`): a detached process that
 * stops the launcher's children if the launcher dies without stopping them itself, even by
 * SIGKILL. It holds nothing of the launcher's open: the launcher exits as if it were not there.
 */
export class OrphanGuard {
  private constructor(private readonly child: ChildProcess) {}

  /**
   * Starts the guard and waits (at most `readyTimeoutMs`) until it listens: a message sent before
   * would be lost. `graceMs` is how long children get after SIGTERM before SIGKILL.
   */
  static async start(graceMs: number, readyTimeoutMs = 5_000): Promise<OrphanGuard> {
    const entry = fileURLToPath(new URL('./orphan-guard.main.js', import.meta.url));
    const child = spawn(process.execPath, [entry, String(graceMs)], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    child.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, readyTimeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      child.once('message', done);
      child.once('exit', done);
    });
    child.unref();
    child.channel?.unref();
    return new OrphanGuard(child);
  }

  /** The guard's own PID. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Watch over `pid` from now on; resolves once the message is on its way to the guard. */
  track(pid: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      if (pid === undefined || !this.child.connected) return resolve();
      this.child.send({ track: pid }, () => resolve());
    });
  }

  /** The launcher stopped its children itself: the guard exits without signalling anything. */
  release(): void {
    if (this.child.connected) this.child.send({ release: true }, () => this.child.connected && this.child.disconnect());
  }
}
