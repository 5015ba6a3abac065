import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { appEnv, describeStorage, workerEnv } from './app-env.js';
import { ProcessStartError, StackStartError } from './stack.errors.js';
import { OrphanGuard } from './orphan-guard.js';
import { assertPortsFree, type PortClaim } from './port-check.js';
import { providePusher, type PusherInfo } from './pusher-provider.js';
import { maskRedisUrl, provideRedis } from './redis-provider.js';
import { appEntry, findRepoRoot } from './repo-root.js';
import { loadStackConfig, wantsEmbeddedPusher, type StackConfig } from './stack-config.js';
import { Supervisor } from './supervisor.js';

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
  pusher: PusherInfo;
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
  /** How long each app may take to become ready (default 60 s). */
  startTimeoutMs?: number;
}

/** Every port the stack will listen on, each with what to do when it is taken. */
function portClaims(config: StackConfig): PortClaim[] {
  const own = (label: 'KILN_API_PORT' | 'KILN_WEBHOOKS_PORT' | 'KILN_DASHBOARD_PORT'): PortClaim => ({
    port: config[label],
    label,
    hint: `stop what listens there or set ${label} to a free port`,
  });
  const claims = [own('KILN_API_PORT'), own('KILN_WEBHOOKS_PORT'), own('KILN_DASHBOARD_PORT')];
  if (!wantsEmbeddedPusher(config)) return claims;
  const hint =
    'stop what listens there (another Kiln?) or set PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET (and PUSHER_HOST, PUSHER_PORT) to use another Pusher app';
  return [
    ...claims,
    { port: config.KILN_EMBEDDED_SOKETI_PORT, label: 'embedded soketi', hint },
    { port: config.KILN_EMBEDDED_SOKETI_METRICS_PORT, label: 'embedded soketi (metrics)', hint },
  ];
}

/** Fails with one line when an app has not been built. */
function assertBuilt(root: string): void {
  for (const app of ['webhooks', 'api', 'worker', 'dashboard'] as const) {
    if (!existsSync(appEntry(root, app)))
      throw new StackStartError(`${path.relative(root, appEntry(root, app))} is missing: build first (npm run build)`);
  }
}

/**
 * Brings the whole stack up on the embedded defaults of ARCHITECTURE §2, so `npm start` works
 * with nothing configured: Redis ({@link provideRedis}), Pusher ({@link providePusher}), the
 * apps' env ({@link appEnv}), then the webhooks, api, KILN_WORKERS worker and dashboard apps as
 * children of a {@link Supervisor}, each waited for until it says it is ready. Every port is
 * checked before anything is spawned; any failure stops what was started and rejects with a
 * {@link StackStartError}.
 */
export async function startStack(env: NodeJS.ProcessEnv, opts: StartStackOptions = {}): Promise<RunningStack> {
  const root = opts.root ?? findRepoRoot();
  const cwd = opts.cwd ?? process.cwd();
  const tee = opts.tee ?? process.stdout;
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const config = loadStackConfig(env);
  assertBuilt(root);
  await assertPortsFree(portClaims(config));

  // Stops the children if we die without stopping them (SIGKILL), beside setpriv's pdeathsig.
  const supervisor = new Supervisor({ guard: await OrphanGuard.start(ORPHAN_GRACE_MS), root, cwd, tee });
  const aborted = () => {
    if (opts.signal?.aborted) throw new StackStartError('start interrupted');
  };
  const onAbort = () => void supervisor.stop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const provided = { tee, startTimeoutMs, ...(opts.log ? { log: opts.log } : {}) };
  try {
    aborted();
    const redis = await provideRedis({
      url: config.REDIS_URL,
      port: config.KILN_EMBEDDED_REDIS_PORT,
      cwd,
      ...provided,
    });
    if (redis.server) supervisor.adopt(redis.server);
    aborted();
    const pusher = await providePusher(config, { webhooksPort: config.KILN_WEBHOOKS_PORT, ...provided });
    if (pusher.soketi) supervisor.adopt(pusher.soketi);
    aborted();
    const apps = appEnv(env, config, { cwd, redisUrl: redis.url, pusherEnv: pusher.env });
    for (const dir of apps.defaultDirs) await mkdir(dir, { recursive: true });
    opts.log?.('starting webhooks, api, workers and dashboard');
    await startApps(supervisor, config, apps.env, startTimeoutMs);
    aborted();
    return {
      urls: {
        api: apps.apiUrl,
        dashboard: `http://127.0.0.1:${config.KILN_DASHBOARD_PORT}`,
        webhooks: `http://127.0.0.1:${config.KILN_WEBHOOKS_PORT}`,
        redis: maskRedisUrl(redis.url),
      },
      redis: { source: redis.source, dataDir: redis.dataDir },
      pusher: pusher.info,
      apiKey: apps.demoKey,
      inputRoot: apps.inputRoot,
      storageDir: apps.storageDir,
      storage: describeStorage(config, apps.storageDir),
      workers: config.KILN_WORKERS,
      died: supervisor.died(),
      stop: () => supervisor.stop(),
      kill: () => supervisor.kill(),
    };
  } catch (err) {
    await supervisor.stop();
    if (opts.signal?.aborted) throw new StackStartError('start interrupted');
    if (err instanceof ProcessStartError) throw new StackStartError(err.message);
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Spawns the four apps in parallel (nothing reaches the webhooks app before a browser
 * subscribes, and a worker only needs Redis) and waits until each says it is ready; fails on
 * the first app that fails.
 */
async function startApps(
  supervisor: Supervisor,
  config: StackConfig,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<void> {
  const workers = config.KILN_WORKERS;
  const children = [
    supervisor.spawnApp('webhooks', 'webhooks', env),
    supervisor.spawnApp('api', 'api', env),
    ...Array.from({ length: workers }, (_, i) =>
      supervisor.spawnApp(workers > 1 ? `worker-${i + 1}` : 'worker', 'worker', { ...env, ...workerEnv(config) }),
    ),
    supervisor.spawnApp('dashboard', 'dashboard', env),
  ];
  await Promise.all(children.map((child) => supervisor.ready(child, timeoutMs)));
}
