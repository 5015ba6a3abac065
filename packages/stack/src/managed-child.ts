import type { SpawnOptions } from 'node:child_process';
import type { Readable } from 'node:stream';
import { execa, type ResultPromise } from 'execa';
import { tiedToParent } from './parent-death.js';

/** How a child process ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options of {@link ManagedChild}: spawn options plus output handling. */
export interface ManagedChildOptions extends Pick<SpawnOptions, 'cwd' | 'env' | 'detached'> {
  /** Open an IPC channel, so the child can tell it is ready ({@link ManagedChild.message}). */
  ipc?: boolean;
  /** Also write every output line here, prefixed (e.g. `process.stdout` for `npm start`). */
  tee?: NodeJS.WritableStream;
  /** Prefix of teed lines; default `[<name>] `. */
  prefix?: string;
  /** How many of the last output lines to keep (default 200). */
  keepLines?: number;
  /**
   * The signal the kernel sends the child when this process dies, even by SIGKILL (via
   * `setpriv --pdeathsig` where it exists). Unset: the child outlives a killed parent.
   */
  dieWithParent?: NodeJS.Signals;
}

/** A line longer than this is cut and kept anyway, so a child that never prints '\n' cannot grow memory. */
const MAX_LINE = 64 * 1024;
/** After 'exit', how long to wait for the pipes to drain so the last lines are not lost. */
const DRAIN_MS = 250;

/**
 * A supervised child process. It keeps the PID (soketi renames itself, so looking it up by name
 * would miss it), the last lines of its stdout and stderr, optionally tees them with a prefix,
 * and stops it with a signal then SIGKILL after a grace period. It also tells whether the child
 * died on its own (`diedEarly`) as opposed to being stopped.
 */
export class ManagedChild {
  readonly child: ResultPromise;
  /** Resolves once the process has exited and its output has been read. Never rejects. */
  readonly exited: Promise<ChildExit>;
  /** Set when the process could not be spawned at all (e.g. ENOENT: the binary is missing). */
  spawnError: NodeJS.ErrnoException | undefined;
  private readonly lines: string[] = [];
  private readonly keepLines: number;
  private exitInfo: ChildExit | undefined;
  private stopping: Promise<ChildExit> | undefined;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    options: ManagedChildOptions = {},
  ) {
    const { tee, prefix = `[${name}] `, keepLines = 200, dieWithParent, ipc = false, env, ...spawnOptions } = options;
    this.keepLines = keepLines;
    const line = dieWithParent ? tiedToParent(command, args, dieWithParent) : { command, args };
    // `env` is the whole environment, as with spawn; the grace before SIGKILL is stop()'s, per call.
    this.child = execa(line.command, line.args, {
      ...spawnOptions,
      env: env ?? process.env,
      extendEnv: false,
      stdin: 'ignore',
      buffer: false,
      reject: false,
      forceKillAfterDelay: false,
      ipc,
    });
    const closed = [this.child.stdout, this.child.stderr].map((stream) => this.collect(stream, tee, prefix));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        const timer = new Promise((r) => setTimeout(r, DRAIN_MS).unref());
        // A grandchild holding the pipes open must not hold up the exit, hence the race.
        void Promise.race([Promise.all(closed), timer]).then(() => resolve(this.exitInfo!));
      });
      void this.child.then((result) => {
        if (this.child.pid !== undefined) return; // it ran: 'exit' above tells how it ended
        this.spawnError = result as unknown as NodeJS.ErrnoException;
        this.record(`spawn error: ${result.message}`, undefined, prefix);
        this.exitInfo ??= { code: null, signal: null };
        resolve(this.exitInfo);
      });
    });
  }

  /**
   * The first IPC message `accept` takes (spawned with `ipc: true`): how an app says it is ready.
   * Rejects when the child exits or closes its channel first.
   */
  async message<T>(accept: (message: unknown) => message is T): Promise<T> {
    if (!this.child.getOneMessage) throw new Error(`${this.name} has no IPC channel`);
    return (await this.child.getOneMessage({ filter: accept })) as T;
  }

  /** The child's PID (undefined if it could not be spawned). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** How it exited, once it has. */
  get exit(): ChildExit | undefined {
    return this.exitInfo;
  }

  /** Whether `stop()` has been called. */
  get stopRequested(): boolean {
    return this.stopping !== undefined;
  }

  /** Whether it exited (or failed to spawn) without anyone asking it to stop. */
  get diedEarly(): boolean {
    return this.exitInfo !== undefined && this.stopping === undefined;
  }

  /** The last lines it printed (stdout and stderr interleaved as they arrived), joined by newlines. */
  output(): string {
    return this.lines.join('\n');
  }

  /** The last `count` lines it printed. */
  tail(count = 20): string[] {
    return this.lines.slice(-count);
  }

  /**
   * Stops it: sends `signal` (default SIGTERM), then SIGKILL after `graceMs` (default 5 s).
   * Idempotent: later calls return the first call's promise. Resolves once it has exited.
   */
  stop(opts: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<ChildExit> {
    this.stopping ??= (async () => {
      if (this.exitInfo === undefined) {
        this.child.kill(opts.signal ?? 'SIGTERM');
        const timer = setTimeout(() => this.child.kill('SIGKILL'), opts.graceMs ?? 5000);
        try {
          return await this.exited;
        } finally {
          clearTimeout(timer);
        }
      }
      return this.exited;
    })();
    return this.stopping;
  }

  private collect(stream: Readable | null, tee: NodeJS.WritableStream | undefined, prefix: string): Promise<void> {
    if (!stream) return Promise.resolve();
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      partial += chunk;
      let newline: number;
      while ((newline = partial.indexOf('\n')) >= 0) {
        this.record(partial.slice(0, newline).replace(/\r$/, ''), tee, prefix);
        partial = partial.slice(newline + 1);
      }
      if (partial.length > MAX_LINE) {
        this.record(partial, tee, prefix);
        partial = '';
      }
    });
    return new Promise((resolve) => {
      stream.once('close', () => {
        if (partial.length > 0) this.record(partial, tee, prefix);
        partial = '';
        resolve();
      });
    });
  }

  private record(line: string, tee: NodeJS.WritableStream | undefined, prefix: string): void {
    if (line.length === 0) return;
    this.lines.push(line);
    if (this.lines.length > this.keepLines) this.lines.splice(0, this.lines.length - this.keepLines);
    tee?.write(`${prefix}${line}\n`);
  }
}
