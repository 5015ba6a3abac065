import { commonFields, port, positiveInt, pusherFields } from '@kiln/config';
import { z } from 'zod';

/** Everything the webhooks app reads from the environment (see README, "Configuration"). */
export const webhooksConfigSchema = z.object({
  ...commonFields,
  ...pusherFields,
  KILN_WEBHOOKS_PORT: port(3001),
  /** How often the occupied set is repaired from Pusher's channel list. */
  KILN_RECONCILE_INTERVAL_S: positiveInt(60, 86_400),
});
export type WebhooksConfig = z.output<typeof webhooksConfigSchema>;
