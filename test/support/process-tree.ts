import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One line of `ps`: a process, its parent and its command line. */
export interface ProcessRow {
  pid: number;
  ppid: number;
  args: string;
}

/** Every process on the machine, read with `ps` (what an operator would look at). */
export async function listProcesses(): Promise<ProcessRow[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,ppid=,args='], { maxBuffer: 16 * 1024 * 1024 });
  const rows: ProcessRow[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m) rows.push({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! });
  }
  return rows;
}

/** Whether a process is an ffmpeg (an encode), as opposed to ffprobe or anything else. */
export const isFfmpeg = (p: ProcessRow): boolean => /(^|\/)ffmpeg\s/.test(p.args);

/** The temporary output file an ffmpeg command line writes (`file:<dir>/.tmp-run-<runId>/<name>`, or `.tmp-<id>-<name>`), if it names one. */
export function tempOutputOf(p: ProcessRow): string | undefined {
  return /(?:^|\s)(?:file:)?(\/\S*\/\.tmp-\S+)$/.exec(p.args)?.[1];
}

/** The ffmpeg and ffprobe children of `ppid`: the media work a worker process is doing. */
export async function mediaChildrenOf(ppid: number): Promise<ProcessRow[]> {
  return (await listProcesses()).filter((p) => p.ppid === ppid && /(^|\/)ff(mpeg|probe)\s/.test(p.args));
}

/**
 * SIGKILLs a process, then the ffmpeg children it had, as a machine losing power would leave
 * nothing running: the children are read before the kill, because they are re-parented after.
 * Returns the children it killed.
 */
export async function killHard(pid: number): Promise<ProcessRow[]> {
  // Frozen first, so it cannot start another ffmpeg between the listing and the kill.
  try {
    process.kill(pid, 'SIGSTOP');
  } catch {
    // already gone
  }
  const children = await mediaChildrenOf(pid);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  for (const child of children) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // finished meanwhile
    }
  }
  return children;
}
