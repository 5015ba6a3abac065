import { mkdir, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

const PREFIX = 'kiln-worker-';

/** Whether a process with this PID runs (on this host's PID namespace). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A folder name host names cannot break: letters, digits, `-` and `.` only. */
function safeHost(name: string): string {
  return name.replace(/[^A-Za-z0-9.-]/g, '_').slice(0, 64) || 'host';
}

/**
 * The local scratch folders of worker processes: each process keeps its downloaded inputs and
 * encodes-in-progress under `<base>/kiln-worker-<host>-<pid>`, so what a SIGKILLed worker left
 * behind can be told apart from what a running one is using, and removed.
 */
export class ScratchRoot {
  readonly dir: string;
  private readonly host: string;

  constructor(
    readonly base: string,
    private readonly pid = process.pid,
    host = hostname(),
  ) {
    this.host = safeHost(host);
    this.dir = path.join(base, `${PREFIX}${this.host}-${pid}`);
  }

  /**
   * Empties this process's folder (one of a dead process that had the same PID, after a restart
   * in a container) and removes the folders of this host's worker processes that no longer run.
   * Folders of other hosts (a `/tmp` shared between containers) are left alone: their PIDs mean
   * nothing here. Returns how many dead workers' folders went.
   */
  async prepare(): Promise<number> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
    return this.sweep();
  }

  /** Removes the folders of this host's worker processes that no longer run; returns how many. */
  async sweep(): Promise<number> {
    const mine = `${PREFIX}${this.host}-`;
    let names: string[];
    try {
      names = await readdir(this.base);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      if (!name.startsWith(mine)) continue;
      const pid = Number(name.slice(mine.length));
      if (!Number.isInteger(pid) || pid <= 0 || pid === this.pid || isAlive(pid)) continue;
      await rm(path.join(this.base, name), { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  /** Removes this process's folder (at the end of a clean shutdown). */
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
