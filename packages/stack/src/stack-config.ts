import { bool, ConfigError, loadConfig, port, positiveInt } from '@kiln/config';
import { z } from 'zod';
import { StackStartError } from './stack.errors.js';

/** The embedded soketi's ports (ARCHITECTURE §2). */
export const EMBEDDED_SOKETI_PORT = 6001;
export const EMBEDDED_SOKETI_METRICS_PORT = 9601;

/** A variable that may be unset; blanks count as unset, as they always have for `npm start`. */
const text = z
  .string()
  .trim()
  .optional()
  .transform((s) => s || undefined);

const PUSHER_APP = ['PUSHER_APP_ID', 'PUSHER_KEY', 'PUSHER_SECRET'] as const;
const APP_PORTS = ['KILN_API_PORT', 'KILN_WEBHOOKS_PORT', 'KILN_DASHBOARD_PORT'] as const;

/**
 * What `npm start` reads from its environment. The apps parse the rest themselves; the launcher
 * only needs where things listen, how many workers, and which parts are configured (so it
 * starts the embedded ones for the others).
 */
const stackConfigSchema = z
  .object({
    KILN_API_PORT: port(3000),
    KILN_WEBHOOKS_PORT: port(3001),
    KILN_DASHBOARD_PORT: port(3002),
    KILN_WORKERS: positiveInt(1, 64),
    // Where the embedded parts listen; settable so a second launcher (or a test) fits beside the first.
    KILN_EMBEDDED_REDIS_PORT: port(6379),
    KILN_EMBEDDED_SOKETI_PORT: port(EMBEDDED_SOKETI_PORT),
    KILN_EMBEDDED_SOKETI_METRICS_PORT: port(EMBEDDED_SOKETI_METRICS_PORT),
    REDIS_URL: text,
    // Passed to the apps as it is; read here only to refuse a cluster without its seed nodes.
    KILN_REDIS_CLUSTER: bool(false),
    PUSHER_APP_ID: text,
    PUSHER_KEY: text,
    PUSHER_SECRET: text,
    PUSHER_CLUSTER: text,
    PUSHER_HOST: text,
    PUSHER_PORT: text,
    KILN_API_KEYS: text,
    KILN_INPUT_ROOTS: text,
    KILN_STORAGE_DIR: text,
    KILN_API_URL: text,
    KILN_DASHBOARD_ORIGINS: text,
    KILN_SIGNING_SECRET: text,
    KILN_WORKER_METRICS_PORT: text,
    KILN_S3_BUCKET: text,
    KILN_S3_PREFIX: text,
    KILN_S3_ENDPOINT: text,
  })
  .superRefine((c, ctx) => {
    if (new Set(APP_PORTS.map((name) => c[name])).size !== APP_PORTS.length)
      ctx.addIssue({
        code: 'custom',
        path: ['KILN_API_PORT, KILN_WEBHOOKS_PORT and KILN_DASHBOARD_PORT'],
        message: `must differ (got ${APP_PORTS.map((name) => c[name]).join(', ')})`,
      });
    if (c.KILN_REDIS_CLUSTER && !c.REDIS_URL)
      ctx.addIssue({
        code: 'custom',
        path: ['KILN_REDIS_CLUSTER'],
        message: "needs REDIS_URL (the cluster's seed nodes): the Redis npm start runs itself is not a cluster",
      });
    const set = PUSHER_APP.filter((name) => c[name]);
    if (set.length > 0 && set.length < PUSHER_APP.length)
      ctx.addIssue({
        code: 'custom',
        path: [PUSHER_APP.filter((name) => !c[name]).join(', ')],
        message:
          'must be set too (set all of PUSHER_APP_ID, PUSHER_KEY and PUSHER_SECRET to use your Pusher app, or none for an embedded soketi)',
      });
  });

/** The launcher's parsed environment. */
export type StackConfig = z.output<typeof stackConfigSchema>;

/** Parses the launcher's environment; a bad variable is a {@link StackStartError} naming it. */
export function loadStackConfig(env: NodeJS.ProcessEnv): StackConfig {
  try {
    return loadConfig(stackConfigSchema, env);
  } catch (err) {
    if (err instanceof ConfigError) throw new StackStartError(err.message);
    throw err;
  }
}

/** Whether PUSHER_APP_ID, PUSHER_KEY and PUSHER_SECRET are unset, so an embedded soketi stands in. */
export function wantsEmbeddedPusher(config: StackConfig): boolean {
  return PUSHER_APP.every((name) => !config[name]);
}
