import { commonFields, port, pusherFields } from '@kiln/config';
import { z } from 'zod';

/** Everything the webhooks app reads from the environment (see README, "Configuration"). */
export const webhooksConfigSchema = z.object({
  ...commonFields,
  ...pusherFields,
  KILN_WEBHOOKS_PORT: port(3001),
});
export type WebhooksConfig = z.output<typeof webhooksConfigSchema>;
