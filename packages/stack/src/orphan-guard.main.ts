/**
 * The launcher's orphan guard, run as a process of its own. The launcher sends it each child's
 * PID over IPC; if the launcher dies without releasing it (SIGKILL, the OOM killer), the channel
 * closes and the guard sends SIGTERM to every child still running, then SIGKILL to any left after
 * the grace (argv[2], ms). It is the second line beside `setpriv --pdeathsig`, which needs
 * util-linux and once, in a full test run, let every child outlive a SIGKILLed launcher.
 */
import { readFileSync } from 'node:fs';

const graceMs = Number(process.argv[2]) || 50_000;
/** PID → its start time, so that a PID the kernel gave to another process since is never signalled. */
const children = new Map<number, string | undefined>();

/** State (field 3) and start time (field 22) from /proc/<pid>/stat; undefined where there is no /proc or no such process. */
function procStat(pid: number): { state: string; started: string | undefined } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', started: fields[19] };
  } catch {
    return undefined;
  }
}

function startTime(pid: number): string | undefined {
  return procStat(pid)?.started;
}

/** Whether `pid` is still the process that was tracked: alive, not a zombie, same start time. */
function isTracked(pid: number, started: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const now = procStat(pid);
  if (!now) return started === undefined; // no /proc here: trust the PID
  return now.state !== 'Z' && (started === undefined || now.started === started);
}

function signalAll(signal: NodeJS.Signals): number {
  let left = 0;
  for (const [pid, started] of children) {
    if (!isTracked(pid, started)) continue;
    left++;
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
  return left;
}

process.on('message', (message: { track?: number; release?: true }) => {
  if (typeof message.track === 'number') children.set(message.track, startTime(message.track));
  if (message.release) process.exit(0);
});

process.on('disconnect', () => {
  if (signalAll('SIGTERM') === 0) process.exit(0);
  const deadline = Date.now() + graceMs;
  setInterval(() => {
    const left = [...children].filter(([pid, started]) => isTracked(pid, started)).length;
    if (left === 0) process.exit(0);
    if (Date.now() > deadline) {
      signalAll('SIGKILL');
      process.exit(0);
    }
  }, 250);
});

// Listening now: tell the launcher, which waits for this before it sends anything.
process.send?.({ ready: true });
