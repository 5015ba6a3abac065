import { spawnSoketi, type SoketiHandle as StackSoketiHandle } from '@kiln/stack';

export interface SoketiHandle extends StackSoketiHandle {
  /** The PUSHER_* variables an app needs to publish to this soketi. */
  pusherEnv(): Record<string, string>;
}

/** A soketi on free loopback ports with fresh credentials; webhooks go to `webhookUrl` if given. */
export async function startSoketi(opts: { webhookUrl?: string; extraEnv?: Record<string, string> } = {}): Promise<SoketiHandle> {
  const handle = await spawnSoketi(opts);
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
