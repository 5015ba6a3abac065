import { apiKeys, commonFields, csv, port, pusherFields } from '@kiln/config';
import { z } from 'zod';

/** Everything the API reads from the environment (see README, "Configuration"). */
export const apiConfigSchema = z.object({
  ...commonFields,
  ...pusherFields,
  KILN_API_KEYS: apiKeys,
  KILN_API_PORT: port(3000),
  KILN_INPUT_ROOTS: csv.default([]),
  KILN_STORAGE_DIR: z.string().default('.kiln/storage'),
  KILN_DASHBOARD_ORIGINS: csv.default(['http://127.0.0.1:3002', 'http://localhost:3002']),
  /** What browsers connect to when it differs from what the API publishes to (containers, proxies). */
  KILN_PUSHER_WS_HOST: z.string().optional(),
  KILN_PUSHER_WS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
});
export type ApiConfig = z.output<typeof apiConfigSchema>;
