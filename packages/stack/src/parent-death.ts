import { spawnSync } from 'node:child_process';

let available: boolean | undefined;

/**
 * Whether util-linux's `setpriv --pdeathsig` works on this machine (Debian and its container
 * images have it; macOS has nothing like it). Checked once, by running it.
 */
function canTieToParent(): boolean {
  available ??= spawnSync('setpriv', ['--pdeathsig', 'TERM', '--', 'true'], { stdio: 'ignore' }).status === 0;
  return available;
}

/**
 * The command line that runs `command` so the kernel sends it `signal` when this process dies,
 * even by SIGKILL, when nothing of ours runs to stop it: `setpriv --pdeathsig <signal> -- command
 * args`. setpriv execs the command in place, so the PID stays the child's own. Without setpriv the
 * command is returned unchanged (the launcher's exit handler still stops its children on any exit
 * short of SIGKILL).
 */
export function tiedToParent(
  command: string,
  args: readonly string[],
  signal: NodeJS.Signals,
): { command: string; args: string[] } {
  if (!canTieToParent()) return { command, args: [...args] };
  return { command: 'setpriv', args: ['--pdeathsig', signal.replace(/^SIG/, ''), '--', command, ...args] };
}
