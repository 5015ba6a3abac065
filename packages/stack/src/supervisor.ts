import { isReadyMessage } from '@kiln/app-kit';
import { StackStartError } from './stack.errors.js';
import { ManagedChild } from './managed-child.js';
import { appEntry, type AppName } from './repo-root.js';

/** A part the supervisor stops after the apps (Redis, soketi): its process and its own stop. */
export interface SupervisedPart {
  child: ManagedChild;
  stop(): Promise<void>;
}

/** What watches over the children if the launcher dies by SIGKILL ({@link OrphanGuard}). */
export interface ChildGuard {
  track(pid: number | undefined): Promise<void>;
  release(): void;
}

/** What a {@link Supervisor} works with. */
export interface SupervisorDeps {
  guard: ChildGuard;
  /** The repository root holding `apps/*`. */
  root: string;
  /** The apps' working directory. */
  cwd: string;
  /** Where children's prefixed output goes. */
  tee?: NodeJS.WritableStream;
}

/** How long each app gets after SIGTERM: a worker its grace (30 s) plus its hard-exit margin. */
const STOP_GRACE_MS: Record<AppName, number> = { dashboard: 10_000, api: 15_000, worker: 35_000, webhooks: 10_000 };
/** The order apps stop in: nothing new comes in, then the workers hand back, then webhooks. */
const STOP_ORDER: readonly AppName[] = ['dashboard', 'api', 'worker', 'webhooks'];

const lastLines = (child: ManagedChild) => child.tail(15).join('\n');

/**
 * The launcher's children: it spawns the apps (own process group, so a terminal's Ctrl-C reaches
 * only the launcher, which stops them in order; `setpriv --pdeathsig` and the orphan guard for a
 * launcher killed by SIGKILL), learns each app is ready from the app itself (its IPC ready
 * message), reports a child that dies on its own, and stops everything in order: apps, then the
 * parts (soketi, then Redis, after the workers handed their jobs back).
 */
export class Supervisor {
  private readonly apps: { app: AppName; child: ManagedChild }[] = [];
  private readonly parts: SupervisedPart[] = [];
  private readonly late: Promise<void>[] = [];
  private stopping: Promise<void> | undefined;
  private readonly killAll = () => this.kill();

  constructor(private readonly deps: SupervisorDeps) {
    // Any exit of ours short of SIGKILL takes the children along.
    process.once('exit', this.killAll);
  }

  /** Whether `stop()` was called. */
  get stopRequested(): boolean {
    return this.stopping !== undefined;
  }

  /** Every child, apps first. */
  get children(): ManagedChild[] {
    return [...this.apps.map((a) => a.child), ...this.parts.map((p) => p.child)];
  }

  /** Supervises a part started elsewhere; one adopted after `stop()` is stopped at once. */
  adopt(part: SupervisedPart): void {
    this.parts.push(part);
    void this.deps.guard.track(part.child.pid);
    if (this.stopping) this.late.push(part.stop());
  }

  /** Spawns `node apps/<app>/dist/main.js` as `name` with `env`, with an IPC channel for its ready message. */
  spawnApp(name: string, app: AppName, env: NodeJS.ProcessEnv): ManagedChild {
    const child = new ManagedChild(name, process.execPath, [appEntry(this.deps.root, app)], {
      cwd: this.deps.cwd,
      env,
      detached: true,
      dieWithParent: 'SIGTERM',
      ipc: true,
      ...(this.deps.tee ? { tee: this.deps.tee } : {}),
    });
    this.apps.push({ app, child });
    void this.deps.guard.track(child.pid);
    if (this.stopping) this.late.push(child.stop({ graceMs: STOP_GRACE_MS[app] }).then(() => undefined));
    return child;
  }

  /**
   * Resolves when the app says it is ready (IPC); rejects with a {@link StackStartError} carrying
   * its last lines when it exits first or stays silent for `timeoutMs`.
   */
  async ready(child: ManagedChild, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    // A channel closed without a ready message leaves the exit or the timeout to tell.
    const said = child.message(isReadyMessage).then(
      () => 'ready' as const,
      () => new Promise<never>(() => undefined),
    );
    try {
      const outcome = await Promise.race([said, child.exited.then(() => 'exited' as const), timedOut]);
      if (outcome === 'ready') return;
      if (outcome === 'timeout')
        throw new StackStartError(`${child.name} did not become ready within ${timeoutMs} ms:\n${lastLines(child)}`);
      const exit = await child.exited;
      throw new StackStartError(
        `${child.name} exited during start (code ${exit.code}, signal ${exit.signal}):\n${lastLines(child)}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves with a reason when any child exits without being asked to. Never rejects. */
  died(): Promise<string> {
    return new Promise((resolve) => {
      for (const child of this.children)
        void child.exited.then((exit) => {
          // Its output is already on the terminal (teed), so the reason alone is enough.
          if (!this.stopping) resolve(`${child.name} exited unexpectedly (code ${exit.code}, signal ${exit.signal})`);
        });
    });
  }

  /** Stops every child in order (see the class); idempotent, and waits for late-adopted ones too. */
  async stop(): Promise<void> {
    this.stopping ??= this.stopInOrder();
    await this.stopping;
    await Promise.all(this.late);
  }

  /** SIGKILLs every child still running: the answer to an impatient second Ctrl-C. */
  kill(): void {
    for (const child of this.children) if (child.alive) child.child.kill('SIGKILL');
  }

  private async stopInOrder(): Promise<void> {
    for (const app of STOP_ORDER) {
      const group = this.apps.filter((a) => a.app === app);
      await Promise.all(group.map((a) => a.child.stop({ graceMs: STOP_GRACE_MS[app] })));
    }
    for (const part of [...this.parts].reverse()) await part.stop();
    process.removeListener('exit', this.killAll);
    this.deps.guard.release();
  }
}
