import { StackStartError } from './stack.errors.js';
import { spawnSoketi, type SoketiHandle } from './soketi.js';
import { wantsEmbeddedPusher, type StackConfig } from './stack-config.js';

/** The Pusher app the stack uses, as the banner shows it. */
export interface PusherInfo {
  embedded: boolean;
  description: string;
  appId: string;
  key: string;
}

/** What {@link providePusher} hands the apps: PUSHER_* for their env, and the soketi child if any. */
export interface ProvidedPusher {
  /** PUSHER_* for the apps (empty when the launcher's own PUSHER_* are passed on as they are). */
  env: Record<string, string>;
  info: PusherInfo;
  soketi: SoketiHandle | undefined;
}

/** Options of {@link providePusher}. */
export interface ProvidePusherOptions {
  /** The webhooks app's port: an embedded soketi posts its webhooks there. */
  webhooksPort: number;
  tee?: NodeJS.WritableStream;
  startTimeoutMs: number;
  log?: (line: string) => void;
}

/**
 * The stack's Pusher (ARCHITECTURE §2): the app of PUSHER_APP_ID, PUSHER_KEY and PUSHER_SECRET
 * when set; else a soketi child on the embedded ports with generated credentials, its webhooks
 * aimed at the webhooks app, tied to the launcher like every child.
 */
export async function providePusher(config: StackConfig, opts: ProvidePusherOptions): Promise<ProvidedPusher> {
  if (!wantsEmbeddedPusher(config)) {
    const where = config.PUSHER_HOST
      ? `${config.PUSHER_HOST}${config.PUSHER_PORT ? `:${config.PUSHER_PORT}` : ''}`
      : `hosted Pusher, cluster ${config.PUSHER_CLUSTER ?? 'mt1'}`;
    const appId = config.PUSHER_APP_ID!;
    return {
      env: {},
      info: { embedded: false, description: `${where} (app ${appId})`, appId, key: config.PUSHER_KEY! },
      soketi: undefined,
    };
  }
  opts.log?.(`starting soketi on 127.0.0.1:${config.KILN_EMBEDDED_SOKETI_PORT}`);
  const soketi = await spawnSoketi({
    port: config.KILN_EMBEDDED_SOKETI_PORT,
    metricsPort: config.KILN_EMBEDDED_SOKETI_METRICS_PORT,
    webhookUrl: `http://127.0.0.1:${opts.webhooksPort}/pusher/webhooks`,
    startTimeoutMs: opts.startTimeoutMs,
    detached: true,
    dieWithParent: 'SIGTERM',
    ...(opts.tee ? { tee: opts.tee } : {}),
  }).catch((err: Error) => {
    throw new StackStartError(`soketi: ${err.message}`);
  });
  return {
    env: {
      PUSHER_APP_ID: soketi.appId,
      PUSHER_KEY: soketi.key,
      PUSHER_SECRET: soketi.secret,
      PUSHER_CLUSTER: 'mt1',
      PUSHER_HOST: soketi.host,
      PUSHER_PORT: String(soketi.port),
      PUSHER_USE_TLS: 'false',
    },
    info: {
      embedded: true,
      description: `embedded soketi on ws://${soketi.host}:${soketi.port} (app ${soketi.appId}, pid ${soketi.pid})`,
      appId: soketi.appId,
      key: soketi.key,
    },
    soketi,
  };
}
