import { spawnSoketi, type SoketiHandle as StackSoketiHandle, type SpawnSoketiOptions } from '@kiln/stack';

/** A soketi for a test, with the environment an app needs to publish to it. */
export interface SoketiHandle extends StackSoketiHandle {
  /** PUSHER_APP_ID/KEY/SECRET/HOST/PORT, PUSHER_USE_TLS=false and PUSHER_CLUSTER=mt1 for this soketi. */
  pusherEnv(): Record<string, string>;
}

/**
 * A soketi on free loopback ports (server and metrics) with freshly generated credentials; its
 * channel_occupied/vacated webhooks go to `webhookUrl` when given.
 */
export async function startSoketi(
  opts: Pick<SpawnSoketiOptions, 'webhookUrl' | 'extraEnv' | 'tee'> = {},
): Promise<SoketiHandle> {
  const handle = await spawnSoketi({
    ...(opts.webhookUrl ? { webhookUrl: opts.webhookUrl } : {}),
    ...(opts.extraEnv ? { extraEnv: opts.extraEnv } : {}),
    ...(opts.tee ? { tee: opts.tee } : {}),
  });
  return {
    ...handle,
    pusherEnv: () => ({
      PUSHER_APP_ID: handle.appId,
      PUSHER_KEY: handle.key,
      PUSHER_SECRET: handle.secret,
      PUSHER_HOST: handle.host,
      PUSHER_PORT: String(handle.port),
      PUSHER_USE_TLS: 'false',
      PUSHER_CLUSTER: 'mt1',
    }),
  };
}
