import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Per-process limits a sandboxed ffmpeg or ffprobe runs under, on top of the sandbox's memory cap. */
export interface ProcessLimits {
  /** Largest file it may write (RLIMIT_FSIZE); past it the kernel stops it with SIGXFSZ. */
  fileSizeBytes?: number | undefined;
  /** CPU seconds over all its threads (RLIMIT_CPU); past it the kernel kills it. */
  cpuSeconds?: number | undefined;
  /**
   * The sandbox's address-space cap counts this many processes' worth (default 1): a one-decode
   * ffmpeg runs the encoders of several outputs, each as large as one encode's.
   */
  memoryShares?: number | undefined;
}

/** Settings of a {@link MediaSandbox}. */
export interface MediaSandboxOptions {
  /** The whole environment ffmpeg and ffprobe get; default {@link minimalEnv} of this process. */
  env?: Record<string, string> | undefined;
  /** Address-space cap (RLIMIT_AS) in MiB; 0 = none. Default 4096. */
  maxMemoryMb?: number | undefined;
  /** Added to this process's nice value (lower priority) for every child; 0 = same. Default 10. */
  niceness?: number | undefined;
  /** The util-linux and coreutils wrappers; a name on PATH by default. A missing one is skipped. */
  setprivPath?: string | undefined;
  prlimitPath?: string | undefined;
  nicePath?: string | undefined;
}

/** Variables ffmpeg and ffprobe may see: enough to find libraries and print text, no secrets. */
const PASSED_VARIABLES = ['PATH', 'LANG', 'LC_ALL', 'TZ'];

/**
 * The environment a media tool gets: PATH (and locale and time zone, when set) from `source`, nothing
 * else, so `/proc/<pid>/environ` of an ffmpeg shows no Pusher secret, S3 key or API key.
 */
export function minimalEnv(source: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_VARIABLES) if (source[name] !== undefined) env[name] = source[name];
  return env;
}

/** Which wrappers run on this machine, looked up once per sandbox. */
export interface SandboxWrappers {
  /** `setpriv --pdeathsig KILL`: the child dies with this process. */
  setpriv: string | null;
  /** `prlimit --as --fsize --cpu`: kernel resource limits. */
  prlimit: string | null;
  /** `nice -n`: a lower scheduling priority. */
  nice: string | null;
}

/** A media tool spawned with its output pipes. */
export type MediaChild = ChildProcessByStdio<null, Readable, Readable>;

const DEFAULT_MAX_MEMORY_MB = 4096;
const DEFAULT_NICENESS = 10;

/**
 * Where every ffmpeg and ffprobe is spawned: with a minimal environment, kernel limits on memory
 * (address space), file size and CPU time, a lower priority than this process, and tied to it
 * (`setpriv --pdeathsig KILL`) so a SIGKILLed worker leaves no encode behind. Each wrapper
 * (util-linux's setpriv and prlimit, coreutils' nice) execs the next in place, so the pid is
 * ffmpeg's own; a wrapper that does not run here is left out and the tool runs without it.
 */
export class MediaSandbox {
  private found: Promise<SandboxWrappers> | undefined;
  readonly env: Record<string, string>;
  readonly maxMemoryMb: number;
  readonly niceness: number;

  constructor(private readonly options: MediaSandboxOptions = {}) {
    this.env = options.env ?? minimalEnv(process.env);
    this.maxMemoryMb = options.maxMemoryMb ?? DEFAULT_MAX_MEMORY_MB;
    this.niceness = options.niceness ?? DEFAULT_NICENESS;
  }

  /** The wrappers that work here (each tried once with `true`); cached. */
  wrappers(): Promise<SandboxWrappers> {
    this.found ??= (async () => {
      const [setpriv, prlimit, nice] = await Promise.all([
        this.works(this.options.setprivPath ?? 'setpriv', ['--pdeathsig', 'KILL', '--', 'true']),
        this.works(this.options.prlimitPath ?? 'prlimit', ['--nofile=1024', '--', 'true']),
        this.works(this.options.nicePath ?? 'nice', ['-n', '1', '--', 'true']),
      ]);
      return { setpriv, prlimit, nice };
    })();
    return this.found;
  }

  /** The command line that runs `tool args` inside the wrappers, as [file, ...args]. */
  command(
    wrappers: SandboxWrappers,
    tool: string,
    args: readonly string[],
    limits: ProcessLimits = {},
  ): [string, ...string[]] {
    const chain: string[] = [];
    if (wrappers.setpriv) chain.push(wrappers.setpriv, '--pdeathsig', 'KILL', '--');
    const rlimits = [
      ...(this.maxMemoryMb > 0
        ? [`--as=${this.maxMemoryMb * 1024 * 1024 * Math.max(1, limits.memoryShares ?? 1)}`]
        : []),
      ...(limits.fileSizeBytes !== undefined ? [`--fsize=${Math.ceil(limits.fileSizeBytes)}`] : []),
      ...(limits.cpuSeconds !== undefined ? [`--cpu=${Math.ceil(limits.cpuSeconds)}`] : []),
    ];
    if (wrappers.prlimit && rlimits.length > 0) chain.push(wrappers.prlimit, ...rlimits, '--');
    if (wrappers.nice && this.niceness !== 0) chain.push(wrappers.nice, '-n', String(this.niceness), '--');
    const [file, ...rest] = [...chain, tool, ...args];
    return [file!, ...rest];
  }

  /** Spawns `tool args` in the sandbox with the wrappers found (see {@link wrappers}); stdin closed, stdout and stderr piped. */
  spawn(wrappers: SandboxWrappers, tool: string, args: readonly string[], limits: ProcessLimits = {}): MediaChild {
    const [file, ...rest] = this.command(wrappers, tool, args, limits);
    return spawn(file, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: this.env });
  }

  private async works(wrapper: string, probeArgs: string[]): Promise<string | null> {
    try {
      await execFileAsync(wrapper, probeArgs, { env: this.env });
      return wrapper;
    } catch {
      return null;
    }
  }
}

/** The sandbox used when a caller gives none: default limits, this process's PATH. */
export const defaultSandbox = new MediaSandbox();
