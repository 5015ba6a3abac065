import { readFileSync } from 'node:fs';

/**
 * Whether `pid` runs: neither gone nor a zombie. An orphan's zombie stays while a PID 1 that does
 * not reap (as in some containers and this sandbox) keeps it, so `kill(pid, 0)` alone would say
 * "alive" for a process that has exited.
 */
export function isProcessRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}
