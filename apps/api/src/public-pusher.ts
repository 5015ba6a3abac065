import type { ApiConfig } from './config.js';
import type { PublicPusherSettings } from './routes/me.route.js';

/**
 * The pusher-js settings `GET /v1/me` hands out: the browser-facing host when one is configured,
 * else the host the API itself publishes to, else hosted Pusher's cluster endpoint.
 */
export function publicPusherSettings(c: ApiConfig): PublicPusherSettings {
  const host = c.KILN_PUSHER_WS_HOST ?? c.PUSHER_HOST ?? `ws-${c.PUSHER_CLUSTER}.pusher.com`;
  const port = c.KILN_PUSHER_WS_PORT ?? c.PUSHER_PORT ?? (c.PUSHER_USE_TLS ? 443 : 80);
  return { key: c.PUSHER_KEY, cluster: c.PUSHER_CLUSTER, wsHost: host, wsPort: port, forceTLS: c.PUSHER_USE_TLS };
}
