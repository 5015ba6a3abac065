import { commonFields, port, positiveInt, pusherFields, withRedisCluster } from '@kiln/config';
import { z } from 'zod';
import { DEFAULT_PUSHER_REPLAY_WINDOW_S, MIN_PUSHER_REPLAY_WINDOW_S } from './replay-window.js';

/** Everything the webhooks app reads from the environment (see README, "Configuration"). */
export const webhooksConfigSchema = z
  .object({
    ...commonFields,
    ...pusherFields,
    KILN_WEBHOOKS_PORT: port(3001),
    /** How often the occupied set is repaired from Pusher's channel list. */
    KILN_RECONCILE_INTERVAL_S: positiveInt(60, 86_400),
    /**
     * A channel_vacated webhook is applied this long after it arrives, so a channel re-occupied
     * meanwhile (a page reload) never closes: hosted Pusher delays vacated by 3 s itself, soketi does not.
     */
    KILN_VACATED_DELAY_MS: z.coerce
      .number({ error: 'must be a number of milliseconds' })
      .int('must be a whole number')
      .min(0, 'must be 0 (apply at once) or more')
      .max(60_000, 'must be at most 60000')
      .default(3000),
    /** Signed webhooks older than this are counted as stale and change nothing (replays). */
    KILN_PUSHER_REPLAY_WINDOW_S: z.coerce
      .number({ error: 'must be a number of seconds' })
      .int('must be a whole number')
      .min(
        MIN_PUSHER_REPLAY_WINDOW_S,
        `must be at least ${MIN_PUSHER_REPLAY_WINDOW_S} (Pusher retries a webhook for 5 minutes)`,
      )
      .max(86_400, 'must be at most 86400 (a day)')
      .default(DEFAULT_PUSHER_REPLAY_WINDOW_S),
  })
  .transform(withRedisCluster);
export type WebhooksConfig = z.output<typeof webhooksConfigSchema>;
