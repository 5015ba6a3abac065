import { InputRoots } from '@kiln/config';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { StackStartError } from './stack.errors.js';
import type { StackConfig } from './stack-config.js';

/** The environment every app of the stack gets, and what the banner tells about it. */
export interface AppEnv {
  /** The launcher's environment with Redis, Pusher, customers, storage and URLs filled in. */
  env: NodeJS.ProcessEnv;
  /** The generated demo customer's key; undefined when KILN_API_KEYS was set. */
  demoKey: string | undefined;
  /** The first input root (where a newcomer drops a video). */
  inputRoot: string;
  storageDir: string;
  apiUrl: string;
  /** Folders the launcher creates because it chose them (`.kiln/inputs`, `.kiln/storage`). */
  defaultDirs: string[];
}

/** What the apps' env is made of besides the launcher's own. */
export interface AppEnvParts {
  cwd: string;
  redisUrl: string;
  pusherEnv: Record<string, string>;
  /** Makes the demo key (default 16 random bytes in hex); tests pass a fixed one. */
  newKey?: () => string;
  /** Makes the signing secret when KILN_SIGNING_SECRET is unset (default 32 random bytes, base64url); tests pass a fixed one. */
  newSecret?: () => string;
}

/**
 * The env of the stack's apps (ARCHITECTURE §2): what the launcher was given, plus Redis and
 * Pusher as provided, a demo customer when KILN_API_KEYS is unset, inputs and storage under
 * `.kiln/` when unset, the ports, and the API and dashboard URLs each app needs of the others.
 * Without KILN_SIGNING_SECRET, one is made for this run and given to every app: signed URLs and
 * viewer tokens then work across the stack's API processes (until the next `npm start`).
 */
export function appEnv(env: NodeJS.ProcessEnv, config: StackConfig, parts: AppEnvParts): AppEnv {
  const kiln = (dir: string) => path.join(parts.cwd, '.kiln', dir);
  const demoKey = config.KILN_API_KEYS ? undefined : (parts.newKey ?? (() => randomBytes(16).toString('hex')))();
  const inputRoots = config.KILN_INPUT_ROOTS ?? kiln('inputs');
  const storageDir = config.KILN_STORAGE_DIR ?? kiln('storage');
  const inputRoot = firstInputRoot(inputRoots) ?? kiln('inputs');
  const apiUrl = `http://127.0.0.1:${config.KILN_API_PORT}`;
  const dashboard = config.KILN_DASHBOARD_PORT;
  return {
    env: {
      ...env,
      ...parts.pusherEnv,
      REDIS_URL: parts.redisUrl,
      KILN_API_KEYS: demoKey ? `demo:${demoKey}` : config.KILN_API_KEYS,
      KILN_INPUT_ROOTS: inputRoots,
      KILN_STORAGE_DIR: storageDir,
      KILN_API_PORT: String(config.KILN_API_PORT),
      KILN_WEBHOOKS_PORT: String(config.KILN_WEBHOOKS_PORT),
      KILN_DASHBOARD_PORT: String(dashboard),
      KILN_API_URL: config.KILN_API_URL ?? apiUrl,
      KILN_SIGNING_SECRET:
        config.KILN_SIGNING_SECRET ?? (parts.newSecret ?? (() => randomBytes(32).toString('base64url')))(),
      KILN_DASHBOARD_ORIGINS:
        config.KILN_DASHBOARD_ORIGINS ?? `http://127.0.0.1:${dashboard},http://localhost:${dashboard}`,
    },
    demoKey,
    inputRoot,
    storageDir,
    apiUrl,
    defaultDirs: [...(config.KILN_INPUT_ROOTS ? [] : [inputRoot]), ...(config.KILN_STORAGE_DIR ? [] : [storageDir])],
  };
}

/** The first root of KILN_INPUT_ROOTS: a shared one, else the first customer's. */
function firstInputRoot(raw: string): string | undefined {
  try {
    const parsed = InputRoots.parse(raw);
    return parsed.shared[0] ?? parsed.customers.flatMap((id) => parsed.rootsFor(id))[0];
  } catch (err) {
    throw new StackStartError(`KILN_INPUT_ROOTS: ${(err as Error).message}`);
  }
}

/**
 * The n-th worker's own env: one fixed metrics port cannot serve several workers, so with more
 * than one each picks a free port (0); a single worker keeps KILN_WORKER_METRICS_PORT.
 */
export function workerEnv(config: StackConfig): NodeJS.ProcessEnv {
  return {
    KILN_WORKER_METRICS_PORT:
      config.KILN_WORKERS === 1 && config.KILN_WORKER_METRICS_PORT ? config.KILN_WORKER_METRICS_PORT : '0',
  };
}

/** Where the apps will store outputs and uploads, as a person reads it. */
export function describeStorage(
  s3: {
    KILN_S3_BUCKET?: string | undefined;
    KILN_S3_PREFIX?: string | undefined;
    KILN_S3_ENDPOINT?: string | undefined;
  },
  storageDir: string,
): string {
  const bucket = s3.KILN_S3_BUCKET?.trim();
  if (!bucket) return storageDir;
  const prefix = s3.KILN_S3_PREFIX?.trim() ?? '';
  return `S3 bucket ${bucket}${prefix ? ` under ${prefix}` : ''} at ${s3.KILN_S3_ENDPOINT?.trim() || 'AWS'}`;
}
