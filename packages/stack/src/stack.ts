import { InputRoots } from '@kiln/config';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ProcessStartError, StackStartError } from './stack.errors.js';
import { ManagedChild } from './managed-child.js';
import { assertPortsFree, type PortClaim } from './port-check.js';
import { pingRedis } from './redis-ping.js';
import { OrphanGuard } from './orphan-guard.js';
import { spawnRedisServer, type RedisServerHandle } from './redis-server.js';
import { appEntry, findRepoRoot, type AppName } from './repo-root.js';
import { spawnSoketi, type SoketiHandle } from './soketi.js';
import { waitForHttp } from './wait-for.js';

/** The embedded soketi's ports (ARCHITECTURE §2). */
export const EMBEDDED_SOKETI_PORT = 6001;
export const EMBEDDED_SOKETI_METRICS_PORT = 9601;
const DEFAULT_REDIS_PORT = 6379;
/** How long the orphan guard gives children after SIGTERM: a worker may take its grace (30 s) plus its hard-exit margin. */
const ORPHAN_GRACE_MS = 50_000;

/** What `npm start` brought up, and how to stop it. */
export interface RunningStack {
  urls: {
    api: string;
    dashboard: string;
    /** Base URL of the webhooks app; Pusher posts to `<webhooks>/pusher/webhooks`. */
    webhooks: string;
    /** The Redis URL the apps use (a password in it is masked). */
    redis: string;
  };
  redis: { source: 'REDIS_URL' | 'existing' | 'spawned'; dataDir: string | undefined };
  pusher: { embedded: boolean; description: string; appId: string; key: string };
  /** The generated demo customer's key; undefined when KILN_API_KEYS was set. */
  apiKey: string | undefined;
  /** The first input root (where a newcomer drops a video). */
  inputRoot: string;
  storageDir: string;
  /** Where outputs and uploads go, for the banner: the storage dir, or the S3 bucket when KILN_S3_BUCKET is set. */
  storage: string;
  workers: number;
  /** Resolves with a reason when any child exits on its own after the start. Never rejects. */
  died: Promise<string>;
  /** Stops every part in order: dashboard, api, workers, webhooks, then soketi and a spawned Redis. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILLs every child still running: the answer to an impatient second Ctrl-C. */
  kill(): void;
}

/** Options of {@link startStack}. */
export interface StartStackOptions {
  /** Where `.kiln/` goes (default `process.cwd()`). */
  cwd?: string;
  /** The repository root holding `apps/*` (default: found by walking up from this file). */
  root?: string;
  /** Progress lines of the launcher itself. */
  log?: (line: string) => void;
  /** Where children's prefixed output goes (default `process.stdout`). */
  tee?: NodeJS.WritableStream;
  /** Aborting stops whatever has started and makes the start reject. */
  signal?: AbortSignal;
  /** How long each app may take to become healthy (default 60 s). */
  startTimeoutMs?: number;
}

function parsePort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 65535)
    throw new StackStartError(`${name}: must be a port number 1-65535 (got ${JSON.stringify(raw)})`);
  return value;
}

function parseWorkers(env: NodeJS.ProcessEnv): number {
  const raw = env.KILN_WORKERS?.trim();
  if (!raw) return 1;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 64)
    throw new StackStartError(`KILN_WORKERS: must be a whole number 1-64 (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

/** `redis://user:secret@host` → `redis://user:***@host`, for printing. */
export function maskRedisUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]+@/, '$1***@');
}

const lastLines = (child: ManagedChild, n = 15) => child.tail(n).join('\n');

/**
 * Brings the whole stack up on the embedded defaults of ARCHITECTURE §2, so `npm start` works
 * with nothing configured: Redis from REDIS_URL, else an open Redis on 127.0.0.1:6379, else a
 * `redis-server` child (AOF on, data in `.kiln/redis`); Pusher from PUSHER_* when set, else a
 * soketi child with generated credentials whose webhooks reach the webhooks app; a demo customer
 * when KILN_API_KEYS is unset; then the webhooks, api, KILN_WORKERS worker and dashboard apps as
 * child processes, each waited for. Every port is checked before anything is spawned; any
 * failure stops what was started and rejects with a {@link StackStartError}.
 */
export async function startStack(env: NodeJS.ProcessEnv, opts: StartStackOptions = {}): Promise<RunningStack> {
  const root = opts.root ?? findRepoRoot();
  const cwd = opts.cwd ?? process.cwd();
  const log = opts.log ?? (() => undefined);
  const tee = opts.tee ?? process.stdout;
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;

  const ports = {
    api: parsePort(env, 'KILN_API_PORT', 3000),
    webhooks: parsePort(env, 'KILN_WEBHOOKS_PORT', 3001),
    dashboard: parsePort(env, 'KILN_DASHBOARD_PORT', 3002),
  };
  if (new Set(Object.values(ports)).size !== 3)
    throw new StackStartError(
      `KILN_API_PORT, KILN_WEBHOOKS_PORT and KILN_DASHBOARD_PORT must differ (got ${ports.api}, ${ports.webhooks}, ${ports.dashboard})`,
    );
  const workers = parseWorkers(env);
  // Where the embedded parts listen; settable so a second launcher (or a test) fits beside the first.
  const redisPort = parsePort(env, 'KILN_EMBEDDED_REDIS_PORT', DEFAULT_REDIS_PORT);
  const soketiPort = parsePort(env, 'KILN_EMBEDDED_SOKETI_PORT', EMBEDDED_SOKETI_PORT);
  const soketiMetricsPort = parsePort(env, 'KILN_EMBEDDED_SOKETI_METRICS_PORT', EMBEDDED_SOKETI_METRICS_PORT);
  const pusherVars = ['PUSHER_APP_ID', 'PUSHER_KEY', 'PUSHER_SECRET'] as const;
  const pusherSet = pusherVars.filter((v) => env[v]);
  if (pusherSet.length > 0 && pusherSet.length < 3) {
    const missing = pusherVars.filter((v) => !env[v]).join(', ');
    throw new StackStartError(
      `${missing}: must be set too (set all of PUSHER_APP_ID, PUSHER_KEY and PUSHER_SECRET to use your Pusher app, or none for an embedded soketi)`,
    );
  }
  const embeddedPusher = pusherSet.length === 0;
  for (const app of ['webhooks', 'api', 'worker', 'dashboard'] as const) {
    if (!existsSync(appEntry(root, app)))
      throw new StackStartError(`${path.relative(root, appEntry(root, app))} is missing: build first (npm run build)`);
  }

  const claims: PortClaim[] = [
    { port: ports.api, label: 'KILN_API_PORT', hint: 'stop what listens there or set KILN_API_PORT to a free port' },
    {
      port: ports.webhooks,
      label: 'KILN_WEBHOOKS_PORT',
      hint: 'stop what listens there or set KILN_WEBHOOKS_PORT to a free port',
    },
    {
      port: ports.dashboard,
      label: 'KILN_DASHBOARD_PORT',
      hint: 'stop what listens there or set KILN_DASHBOARD_PORT to a free port',
    },
  ];
  if (embeddedPusher) {
    const hint =
      'stop what listens there (another Kiln?) or set PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET (and PUSHER_HOST, PUSHER_PORT) to use another Pusher app';
    claims.push(
      { port: soketiPort, label: 'embedded soketi', hint },
      { port: soketiMetricsPort, label: 'embedded soketi (metrics)', hint },
    );
  }
  await assertPortsFree(claims);

  // Stops the children if we die without stopping them (SIGKILL), beside setpriv's pdeathsig.
  const guard = await OrphanGuard.start(ORPHAN_GRACE_MS);
  const apps: ManagedChild[] = [];
  let redisChild: RedisServerHandle | undefined;
  let soketi: SoketiHandle | undefined;
  let stopping: Promise<void> | undefined;
  // Stops whatever is registered now; every handle's stop is idempotent, so calling it twice is safe.
  const stopAll = async () => {
    const grace: Record<AppName, number> = { dashboard: 10_000, api: 15_000, worker: 35_000, webhooks: 10_000 };
    for (const app of ['dashboard', 'api', 'worker', 'webhooks'] as const) {
      await Promise.all(
        apps.filter((c) => c.name === app || c.name.startsWith(`${app}-`)).map((c) => c.stop({ graceMs: grace[app] })),
      );
    }
    await soketi?.stop();
    await redisChild?.stop();
  };
  const stop = () =>
    (stopping ??= stopAll().finally(() => {
      process.removeListener('exit', killAll);
      guard.release();
    }));
  // Children run in their own process groups (a terminal's Ctrl-C reaches only us, and we stop
  // them in order: Redis last, after the workers handed their jobs back). So that they do not
  // outlive us, an exit of ours by any path short of SIGKILL takes them along, and a SIGKILL has
  // the kernel send each a SIGTERM (setpriv --pdeathsig): apps stop within their hard-exit
  // bounds, Redis flushes its AOF, soketi closes.
  const killAll = () => {
    for (const child of [...apps, ...(soketi ? [soketi.child] : []), ...(redisChild ? [redisChild.child] : [])])
      if (child.alive) child.child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const aborted = () => {
    if (opts.signal?.aborted) throw new StackStartError('start interrupted');
  };
  const onAbort = () => void stop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    aborted();
    // Redis
    let redisUrl = env.REDIS_URL?.trim() || undefined;
    let redisSource: RunningStack['redis']['source'] = 'REDIS_URL';
    let redisDir: string | undefined;
    if (!redisUrl) {
      const reply = await pingRedis(redisPort, '127.0.0.1', 1000);
      if (reply === '+PONG') {
        redisUrl = `redis://127.0.0.1:${redisPort}`;
        redisSource = 'existing';
      } else if (reply !== null) {
        throw new StackStartError(
          `REDIS_URL: unset, and 127.0.0.1:${redisPort} answers but not as an open Redis (${JSON.stringify(reply.slice(0, 60))}); set REDIS_URL (with its password)`,
        );
      } else {
        redisDir = path.join(cwd, '.kiln', 'redis');
        log(`starting redis-server on 127.0.0.1:${redisPort} (data in ${redisDir})`);
        redisChild = await spawnRedisServer({
          dir: redisDir,
          port: redisPort,
          appendOnly: true,
          tee,
          startTimeoutMs,
          detached: true,
          dieWithParent: 'SIGTERM',
        }).catch((err: Error) => {
          throw new StackStartError(`redis: ${err.message}`);
        });
        void guard.track(redisChild.child.pid);
        redisUrl = redisChild.url;
        redisSource = 'spawned';
      }
    }
    aborted();

    // Pusher
    const pusherEnv: Record<string, string> = {};
    let pusher: RunningStack['pusher'];
    if (embeddedPusher) {
      log(`starting soketi on 127.0.0.1:${soketiPort}`);
      soketi = await spawnSoketi({
        port: soketiPort,
        metricsPort: soketiMetricsPort,
        webhookUrl: `http://127.0.0.1:${ports.webhooks}/pusher/webhooks`,
        tee,
        startTimeoutMs,
        detached: true,
        dieWithParent: 'SIGTERM',
      }).catch((err: Error) => {
        throw new StackStartError(`soketi: ${err.message}`);
      });
      void guard.track(soketi.pid);
      Object.assign(pusherEnv, {
        PUSHER_APP_ID: soketi.appId,
        PUSHER_KEY: soketi.key,
        PUSHER_SECRET: soketi.secret,
        PUSHER_CLUSTER: 'mt1',
        PUSHER_HOST: soketi.host,
        PUSHER_PORT: String(soketi.port),
        PUSHER_USE_TLS: 'false',
      });
      pusher = {
        embedded: true,
        description: `embedded soketi on ws://${soketi.host}:${soketi.port} (app ${soketi.appId}, pid ${soketi.pid})`,
        appId: soketi.appId,
        key: soketi.key,
      };
    } else {
      const where = env.PUSHER_HOST
        ? `${env.PUSHER_HOST}${env.PUSHER_PORT ? `:${env.PUSHER_PORT}` : ''}`
        : `hosted Pusher, cluster ${env.PUSHER_CLUSTER || 'mt1'}`;
      pusher = {
        embedded: false,
        description: `${where} (app ${env.PUSHER_APP_ID})`,
        appId: env.PUSHER_APP_ID!,
        key: env.PUSHER_KEY!,
      };
    }
    aborted();

    // Customers, inputs, storage
    const demoKey = env.KILN_API_KEYS?.trim() ? undefined : randomBytes(16).toString('hex');
    const inputRoots = env.KILN_INPUT_ROOTS?.trim() || path.join(cwd, '.kiln', 'inputs');
    const storageDir = env.KILN_STORAGE_DIR?.trim() || path.join(cwd, '.kiln', 'storage');
    let inputRoot: string;
    try {
      const parsed = InputRoots.parse(inputRoots);
      inputRoot =
        parsed.shared[0] ??
        parsed.customers.flatMap((id) => parsed.rootsFor(id))[0] ??
        path.join(cwd, '.kiln', 'inputs');
    } catch (err) {
      throw new StackStartError(`KILN_INPUT_ROOTS: ${(err as Error).message}`);
    }
    if (!env.KILN_INPUT_ROOTS?.trim()) await mkdir(inputRoot, { recursive: true });
    if (!env.KILN_STORAGE_DIR?.trim()) await mkdir(storageDir, { recursive: true });

    const apiUrl = `http://127.0.0.1:${ports.api}`;
    const shared: NodeJS.ProcessEnv = {
      ...env,
      ...pusherEnv,
      REDIS_URL: redisUrl,
      KILN_API_KEYS: demoKey ? `demo:${demoKey}` : env.KILN_API_KEYS,
      KILN_INPUT_ROOTS: inputRoots,
      KILN_STORAGE_DIR: storageDir,
      KILN_API_PORT: String(ports.api),
      KILN_WEBHOOKS_PORT: String(ports.webhooks),
      KILN_DASHBOARD_PORT: String(ports.dashboard),
      KILN_API_URL: env.KILN_API_URL?.trim() || apiUrl,
      KILN_DASHBOARD_ORIGINS:
        env.KILN_DASHBOARD_ORIGINS?.trim() || `http://127.0.0.1:${ports.dashboard},http://localhost:${ports.dashboard}`,
    };
    const spawnApp = (name: string, app: AppName, extra: NodeJS.ProcessEnv = {}) => {
      const child = new ManagedChild(name, process.execPath, [appEntry(root, app)], {
        cwd,
        env: { ...shared, ...extra },
        tee,
        detached: true,
        dieWithParent: 'SIGTERM',
      });
      apps.push(child);
      void guard.track(child.pid);
      return child;
    };
    const healthy = async (child: ManagedChild, url: string) => {
      try {
        await waitForHttp(url, { timeoutMs: startTimeoutMs, isAlive: () => child.alive });
      } catch (err) {
        aborted();
        if (child.alive)
          throw new StackStartError(
            `${child.name} did not answer ${url} within ${startTimeoutMs} ms:\n${lastLines(child)}`,
          );
        const exit = await child.exited;
        throw new StackStartError(
          `${child.name} exited during start (code ${exit.code}, signal ${exit.signal}):\n${lastLines(child) || (err as Error).message}`,
        );
      }
    };
    const workerReady = async (child: ManagedChild) => {
      const deadline = Date.now() + startTimeoutMs;
      while (!child.output().includes('worker ready')) {
        aborted();
        if (!child.alive) {
          const exit = await child.exited;
          throw new StackStartError(
            `${child.name} exited during start (code ${exit.code}, signal ${exit.signal}):\n${lastLines(child)}`,
          );
        }
        if (Date.now() > deadline)
          throw new StackStartError(
            `${child.name} did not log "worker ready" within ${startTimeoutMs} ms:\n${lastLines(child)}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    log('starting webhooks, api, workers and dashboard');
    // The four start in parallel: nothing reaches the webhooks app before a browser subscribes,
    // and a worker only needs Redis. Promise.all fails on the first app that fails.
    const webhooksChild = spawnApp('webhooks', 'webhooks');
    const apiChild = spawnApp('api', 'api');
    const workerChildren = Array.from({ length: workers }, (_, i) =>
      spawnApp(workers > 1 ? `worker-${i + 1}` : 'worker', 'worker', {
        // One fixed metrics port cannot serve several workers; 0 lets each pick a free one.
        KILN_WORKER_METRICS_PORT:
          workers === 1 && env.KILN_WORKER_METRICS_PORT?.trim() ? env.KILN_WORKER_METRICS_PORT : '0',
      }),
    );
    const dashboardChild = spawnApp('dashboard', 'dashboard');
    await Promise.all([
      healthy(webhooksChild, `http://127.0.0.1:${ports.webhooks}/healthz`),
      healthy(apiChild, `${apiUrl}/healthz`),
      ...workerChildren.map(workerReady),
      healthy(dashboardChild, `http://127.0.0.1:${ports.dashboard}/healthz`),
    ]);
    aborted();

    const died = new Promise<string>((resolve) => {
      const watched = [...apps, ...(soketi ? [soketi.child] : []), ...(redisChild ? [redisChild.child] : [])];
      for (const child of watched) {
        void child.exited.then((exit) => {
          // Its output is already on the terminal (teed), so the reason alone is enough.
          if (!stopping) resolve(`${child.name} exited unexpectedly (code ${exit.code}, signal ${exit.signal})`);
        });
      }
    });
    return {
      urls: {
        api: apiUrl,
        dashboard: `http://127.0.0.1:${ports.dashboard}`,
        webhooks: `http://127.0.0.1:${ports.webhooks}`,
        redis: maskRedisUrl(redisUrl),
      },
      redis: { source: redisSource, dataDir: redisDir },
      pusher,
      apiKey: demoKey,
      inputRoot,
      storageDir,
      storage: describeStorage(env, storageDir),
      workers,
      died,
      stop,
      kill: killAll,
    };
  } catch (err) {
    await stop();
    await stopAll(); // anything registered after a stop() triggered by an abort
    process.removeListener('exit', killAll);
    if (err instanceof StackStartError) throw err;
    if (err instanceof ProcessStartError) throw new StackStartError(err.message);
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** Where the apps will store outputs and uploads, as a person reads it. */
export function describeStorage(env: NodeJS.ProcessEnv, storageDir: string): string {
  const bucket = env.KILN_S3_BUCKET?.trim();
  if (!bucket) return storageDir;
  const prefix = env.KILN_S3_PREFIX?.trim() ?? '';
  return `S3 bucket ${bucket}${prefix ? ` under ${prefix}` : ''} at ${env.KILN_S3_ENDPOINT?.trim() || 'AWS'}`;
}
