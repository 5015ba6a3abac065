import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * A supervised child process: keeps its PID (soketi renames itself, so a name lookup would miss
 * it), the tail of its output, and stops it with SIGTERM then SIGKILL after a grace period.
 */
export class ManagedChild {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly lines: string[] = [];
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    options: SpawnOptions & { tee?: NodeJS.WritableStream; keepLines?: number } = {},
  ) {
    const { tee, keepLines = 200, ...spawnOptions } = options;
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.length === 0) continue;
        this.lines.push(line);
        if (this.lines.length > keepLines) this.lines.shift();
        tee?.write(`[${name}] ${line}\n`);
      }
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      this.child.once('error', (err) => {
        this.lines.push(`spawn error: ${err.message}`);
        this.exitInfo = { code: -1, signal: null };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** How it exited, once it has. */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exitInfo;
  }

  /** The last lines it printed (stdout and stderr). */
  output(): string {
    return this.lines.join('\n');
  }

  /** Stops it: `signal`, then SIGKILL after `graceMs`. Idempotent; resolves when it has exited. */
  stop(opts: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.alive) return;
      this.child.kill(opts.signal ?? 'SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), opts.graceMs ?? 5000);
      await this.exited;
      clearTimeout(timer);
    })();
    return this.stopping;
  }
}
