import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ManagedChild } from './managed-child.js';
import { canConnect, isPortFree, waitForHttp } from './ports.js';
import { spawnRedisServer, type RedisServerHandle } from './redis-server.js';
import { appEntry, findRepoRoot } from './repo-root.js';
import { spawnSoketi, type SoketiHandle } from './soketi.js';

/** What `npm start` brought up. */
export interface RunningStack {
  apiUrl: string;
  dashboardUrl: string;
  webhooksUrl: string;
  redisUrl: string;
  redisSource: 'REDIS_URL' | 'existing' | 'spawned';
  pusher: string;
  apiKey: string | undefined;
  inputRoot: string;
  /** Resolves with a reason when any child dies after start. */
  died: Promise<string>;
  stop(): Promise<void>;
}

/** A start-up problem worth one clear line, not a stack trace. */
export class StackStartError extends Error {
  override name = 'StackStartError';
}

const num = (v: string | undefined, fallback: number) => (v && v.trim() !== '' ? Number(v) : fallback);

/**
 * Brings the whole stack up on the embedded defaults of ARCHITECTURE §2: Redis from REDIS_URL,
 * else the one on 127.0.0.1:6379, else a `redis-server` child (AOF on, `.kiln/redis`); Pusher
 * from PUSHER_* when set, else a soketi child with generated credentials whose webhooks reach
 * the webhooks app; then webhooks, api, KILN_WORKERS workers and the dashboard.
 */
export async function startStack(env: NodeJS.ProcessEnv, opts: { cwd?: string; tee?: NodeJS.WritableStream; log?: (line: string) => void } = {}): Promise<RunningStack> {
  const root = findRepoRoot();
  const cwd = opts.cwd ?? process.cwd();
  const log = opts.log ?? (() => undefined);
  const tee = opts.tee ?? process.stdout;
  const ports = { api: num(env.KILN_API_PORT, 3000), webhooks: num(env.KILN_WEBHOOKS_PORT, 3001), dashboard: num(env.KILN_DASHBOARD_PORT, 3002) };
  const byVar = { api: 'KILN_API_PORT', webhooks: 'KILN_WEBHOOKS_PORT', dashboard: 'KILN_DASHBOARD_PORT' } as const;
  for (const [name, port] of Object.entries(ports) as [keyof typeof ports, number][]) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StackStartError(`${byVar[name]}: must be a port number`);
    if (!(await isPortFree(port, '0.0.0.0')) || !(await isPortFree(port))) throw new StackStartError(`${byVar[name]}: port ${port} is already in use; stop what listens there or set ${byVar[name]}`);
  }

  const children: ManagedChild[] = [];
  let redisChild: RedisServerHandle | undefined;
  let soketi: SoketiHandle | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const order = ['dashboard', 'api', 'worker', 'webhooks'];
      for (const name of order) await Promise.all(children.filter((c) => c.name.startsWith(name)).map((c) => c.stop({ graceMs: 35_000 })));
      await soketi?.stop();
      await redisChild?.stop();
    })());

  try {
    // Redis
    let redisUrl = env.REDIS_URL;
    let redisSource: RunningStack['redisSource'] = 'REDIS_URL';
    if (!redisUrl) {
      if (await canConnect(6379)) {
        redisUrl = 'redis://127.0.0.1:6379';
        redisSource = 'existing';
      } else {
        redisChild = await spawnRedisServer({ dir: path.join(cwd, '.kiln', 'redis'), port: 6379, appendOnly: true });
        redisUrl = redisChild.url;
        redisSource = 'spawned';
      }
    }
    log(`redis: ${redisUrl} (${redisSource === 'spawned' ? 'started redis-server, data in .kiln/redis' : redisSource === 'existing' ? 'reusing the one on 127.0.0.1:6379' : 'REDIS_URL'})`);

    // Pusher
    const pusherEnv: Record<string, string> = {};
    let pusher: string;
    if (env.PUSHER_APP_ID && env.PUSHER_KEY && env.PUSHER_SECRET) {
      pusher = env.PUSHER_HOST ? `${env.PUSHER_HOST}:${env.PUSHER_PORT ?? ''} (app ${env.PUSHER_APP_ID})` : `hosted Pusher, cluster ${env.PUSHER_CLUSTER ?? 'mt1'} (app ${env.PUSHER_APP_ID})`;
    } else {
      soketi = await spawnSoketi({ port: 6001, metricsPort: 9601, webhookUrl: `http://127.0.0.1:${ports.webhooks}/pusher/webhooks` }).catch((err: Error) => {
        throw new StackStartError(`soketi: ${err.message.split('\n')[0]}`);
      });
      Object.assign(pusherEnv, { PUSHER_APP_ID: soketi.appId, PUSHER_KEY: soketi.key, PUSHER_SECRET: soketi.secret, PUSHER_HOST: '127.0.0.1', PUSHER_PORT: String(soketi.port), PUSHER_USE_TLS: 'false', PUSHER_CLUSTER: 'mt1' });
      pusher = `embedded soketi on 127.0.0.1:${soketi.port} (pid ${soketi.pid})`;
    }
    log(`pusher: ${pusher}`);

    const demoKey = env.KILN_API_KEYS ? undefined : randomBytes(16).toString('hex');
    const inputRoot = env.KILN_INPUT_ROOTS ?? path.join(cwd, '.kiln', 'inputs');
    const storageDir = env.KILN_STORAGE_DIR ?? path.join(cwd, '.kiln', 'storage');
    for (const dir of inputRoot.split(',').filter(Boolean)) await mkdir(dir, { recursive: true });
    await mkdir(storageDir, { recursive: true });
    const apiUrl = env.KILN_API_URL ?? `http://127.0.0.1:${ports.api}`;
    const shared: NodeJS.ProcessEnv = {
      ...env,
      ...pusherEnv,
      REDIS_URL: redisUrl,
      KILN_API_KEYS: env.KILN_API_KEYS ?? `demo:${demoKey}`,
      KILN_INPUT_ROOTS: inputRoot,
      KILN_STORAGE_DIR: storageDir,
      KILN_API_PORT: String(ports.api),
      KILN_WEBHOOKS_PORT: String(ports.webhooks),
      KILN_DASHBOARD_PORT: String(ports.dashboard),
      KILN_API_URL: apiUrl,
      KILN_DASHBOARD_ORIGINS: env.KILN_DASHBOARD_ORIGINS ?? `http://127.0.0.1:${ports.dashboard},http://localhost:${ports.dashboard}`,
    };
    const spawnApp = (name: string, app: 'api' | 'webhooks' | 'worker' | 'dashboard', extra: NodeJS.ProcessEnv = {}) => {
      const child = new ManagedChild(name, process.execPath, [appEntry(root, app)], { cwd, env: { ...shared, ...extra }, tee });
      children.push(child);
      return child;
    };
    const healthy = async (child: ManagedChild, url: string) => {
      try {
        await waitForHttp(url, { timeoutMs: 30_000, isAlive: () => child.alive });
      } catch {
        throw new StackStartError(`${child.name} did not start:\n${child.output().split('\n').slice(-15).join('\n')}`);
      }
    };

    await healthy(spawnApp('webhooks', 'webhooks'), `http://127.0.0.1:${ports.webhooks}/healthz`);
    await healthy(spawnApp('api', 'api'), `http://127.0.0.1:${ports.api}/healthz`);
    const workers = Math.max(1, num(env.KILN_WORKERS, 1));
    const workerChildren = Array.from({ length: workers }, (_, i) => spawnApp(workers > 1 ? `worker-${i + 1}` : 'worker', 'worker', { KILN_WORKER_METRICS_PORT: env.KILN_WORKER_METRICS_PORT && workers === 1 ? env.KILN_WORKER_METRICS_PORT : '0' }));
    await healthy(spawnApp('dashboard', 'dashboard'), `http://127.0.0.1:${ports.dashboard}/healthz`);
    const deadline = Date.now() + 30_000;
    while (!workerChildren.every((w) => w.output().includes('worker ready'))) {
      const dead = workerChildren.find((w) => !w.alive);
      if (dead) throw new StackStartError(`${dead.name} did not start:\n${dead.output().split('\n').slice(-15).join('\n')}`);
      if (Date.now() > deadline) throw new StackStartError('workers did not report ready within 30 s');
      await new Promise((r) => setTimeout(r, 50));
    }

    const died = new Promise<string>((resolve) => {
      for (const c of [...children, ...(soketi ? [soketi.child] : []), ...(redisChild ? [redisChild.child] : [])]) {
        void c.exited.then((e) => {
          if (!stopping) resolve(`${c.name} exited (code ${e.code}, signal ${e.signal})`);
        });
      }
    });
    return { apiUrl, dashboardUrl: `http://127.0.0.1:${ports.dashboard}`, webhooksUrl: `http://127.0.0.1:${ports.webhooks}`, redisUrl, redisSource, pusher, apiKey: demoKey, inputRoot: inputRoot.split(',')[0]!, died, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
