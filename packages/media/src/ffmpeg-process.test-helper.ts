import { readdirSync, readFileSync } from 'node:fs';

/** Pids of running processes whose command line mentions `needle`. */
export function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(needle)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/**
 * The pid of the ffmpeg writing `out`, once it has one, waiting up to `timeoutMs`: a process just
 * spawned shows its parent's command line until it has exec'd, and a sandboxed one first runs as
 * its wrappers (setpriv, prlimit, nice).
 */
export async function ffmpegWriting(out: string, timeoutMs = 10_000): Promise<number> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 10))) {
    const pid = pidsMentioning(out).find((p) => {
      try {
        return /(^|\/)ffmpeg$/.test(readFileSync(`/proc/${p}/cmdline`, 'latin1').split('\0')[0]!);
      } catch {
        return false;
      }
    });
    if (pid !== undefined) return pid;
  }
  throw new Error(`no ffmpeg writing ${out} within ${timeoutMs / 1000} s`);
}

/** Running: neither gone nor a zombie (an orphan's zombie stays while a PID 1 that does not reap, as in some containers, keeps it). */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}
