import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getFreePort, startApp, startPusherRecorder, startRedis, startSoketi, type AppHandle } from '@kiln/testing';

interface TestCustomer {
  id: string;
  key: string;
}

export interface TestStack {
  apiUrl: string;
  webhooksUrl: string;
  /** Only served when started with `dashboard: true`. */
  dashboardUrl: string;
  workerMetricsUrls: string[];
  customers: TestCustomer[];
  /** REDIS_URL: one URL, or on a cluster the seed list (connect with `new Cluster(...)`). */
  redisUrl: string;
  /** The key prefix every app uses (hash-tagged on a cluster). */
  prefix: string;
  inputRoot: string;
  storageDir: string;
  soketi: Awaited<ReturnType<typeof startSoketi>>;
  recorder: Awaited<ReturnType<typeof startPusherRecorder>>;
  apps: Record<string, AppHandle>;
  env: Record<string, string>;
  /**
   * Starts one more worker process (for fleet, failure and scheduling tests), with `env` on top of
   * the stack's; `cpus` pins it to those cores (`taskset -c`, see startApp).
   */
  addWorker(env?: Record<string, string>, opts?: { cpus?: string }): Promise<{ app: AppHandle; metricsUrl: string }>;
  stop(): Promise<void>;
}

/** Options of {@link startTestStack}. */
export interface TestStackOptions {
  customers?: string[];
  workers?: number;
  dashboard?: boolean;
  env?: Record<string, string>;
  /**
   * A Redis the test owns (to stop, restart, or a Redis Cluster: `cluster: true` sets
   * KILN_REDIS_CLUSTER and `url` is the seed list). Default: `startRedis()`, stopped with the stack.
   */
  redis?: { url: string; cluster?: boolean };
}

/** The test's own Redis, or one from `startRedis()` with its stop. */
async function stackRedis(given: TestStackOptions['redis']) {
  if (given) return { url: given.url, cluster: given.cluster ?? false, stop: async () => undefined };
  return { ...(await startRedis()), cluster: false };
}

/**
 * Starts the real stack for a whole-stack test: Redis, soketi (its webhooks aimed at our
 * webhooks app), a recording proxy between our publishers and soketi (so tests count real Pusher
 * HTTP calls), and the api, webhooks and worker apps as processes with their own key prefix.
 */
export async function startTestStack(opts: TestStackOptions = {}): Promise<TestStack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };
  try {
    const redis = await stackRedis(opts.redis);
    cleanups.push(() => redis.stop());
    const [apiPort, webhooksPort, dashboardPort] = [await getFreePort(), await getFreePort(), await getFreePort()];
    const soketi = await startSoketi({ webhookUrl: `http://127.0.0.1:${webhooksPort}/pusher/webhooks` });
    cleanups.push(() => soketi.stop());
    const recorder = await startPusherRecorder({ targetHost: '127.0.0.1', targetPort: soketi.port });
    cleanups.push(() => recorder.stop());
    const inputRoot = await mkdtemp(path.join(tmpdir(), 'kiln-inputs-'));
    const storageDir = await mkdtemp(path.join(tmpdir(), 'kiln-storage-'));
    cleanups.push(() => rm(inputRoot, { recursive: true, force: true }));
    cleanups.push(() => rm(storageDir, { recursive: true, force: true }));
    const customers = (opts.customers ?? ['acme', 'globex']).map((id) => ({
      id,
      key: `key_${id}_${randomBytes(16).toString('hex')}`,
    }));
    // On a cluster the apps would give the prefix a hash tag themselves; the test reads keys under it too.
    const prefix = redis.cluster ? `{test-${randomUUID()}}` : `test-${randomUUID()}`;
    const env: Record<string, string> = {
      REDIS_URL: redis.url,
      KILN_REDIS_CLUSTER: String(redis.cluster),
      KILN_REDIS_PREFIX: prefix,
      ...soketi.pusherEnv(),
      // Publishers reach Pusher through the recorder; browsers and pusher-js clients go straight to soketi.
      PUSHER_PORT: String(recorder.port),
      KILN_PUSHER_WS_HOST: '127.0.0.1',
      KILN_PUSHER_WS_PORT: String(soketi.port),
      KILN_API_KEYS: customers.map((c) => `${c.id}:${c.key}`).join(','),
      KILN_API_PORT: String(apiPort),
      KILN_WEBHOOKS_PORT: String(webhooksPort),
      KILN_DASHBOARD_PORT: String(dashboardPort),
      KILN_API_URL: `http://127.0.0.1:${apiPort}`,
      KILN_DASHBOARD_ORIGINS: `http://127.0.0.1:${dashboardPort}`,
      KILN_INPUT_ROOTS: inputRoot,
      KILN_STORAGE_DIR: storageDir,
      KILN_PROGRESS_INTERVAL_MS: '250',
      KILN_LOG_LEVEL: 'debug',
      // Tests poll the API hard; the rate limit has its own tests.
      KILN_RATE_LIMIT_PER_MIN: '0',
      ...opts.env,
    };
    const apps: Record<string, AppHandle> = {};
    apps.webhooks = await startApp('webhooks', { env, port: webhooksPort });
    cleanups.push(() => apps.webhooks!.stop());
    apps.api = await startApp('api', { env, port: apiPort });
    cleanups.push(() => apps.api!.stop());
    const workerMetricsUrls: string[] = [];
    const addWorker = async (extra: Record<string, string> = {}, pin: { cpus?: string } = {}) => {
      const metricsPort = await getFreePort();
      const app = await startApp('worker', {
        env: { ...env, ...extra, KILN_WORKER_METRICS_PORT: String(metricsPort) },
        port: metricsPort,
        ...(pin.cpus !== undefined ? { cpus: pin.cpus } : {}),
      });
      const n = workerMetricsUrls.length;
      apps[`worker${n}`] = app;
      cleanups.push(() => app.stop());
      const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
      workerMetricsUrls.push(metricsUrl);
      return { app, metricsUrl };
    };
    for (let i = 0; i < (opts.workers ?? 1); i++) await addWorker();
    if (opts.dashboard) {
      apps.dashboard = await startApp('dashboard', { env, port: dashboardPort });
      cleanups.push(() => apps.dashboard!.stop());
    }
    return {
      apiUrl: `http://127.0.0.1:${apiPort}`,
      webhooksUrl: `http://127.0.0.1:${webhooksPort}`,
      dashboardUrl: `http://127.0.0.1:${dashboardPort}`,
      workerMetricsUrls,
      customers,
      redisUrl: redis.url,
      prefix,
      inputRoot,
      storageDir,
      soketi,
      recorder,
      apps,
      env,
      addWorker,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** A small JSON client for the API as one customer. */
export function apiClient(baseUrl: string, key?: string) {
  return async <T = unknown>(
    method: string,
    pathname: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T; headers: Headers }> => {
    // A keep-alive socket the server closed at the same moment fails the request without it
    // reaching the API; GETs are safe to send again.
    const send = (): Promise<Response> =>
      fetch(`${baseUrl}${pathname}`, {
        method,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
    const res = await send().catch((err: unknown) => {
      if (method !== 'GET') throw err;
      return send();
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
}

/** Reads one sample of a Prometheus metric (summing series that match the labels). */
export async function readMetric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})?\s+([0-9.eE+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const ok = Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`));
    if (ok) sum += Number(m[3]);
  }
  return sum;
}
