import type { Server } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeServer, type BuiltApp } from '@kiln/app-kit';
import { logLevel, port } from '@kiln/config';
import { createLogger } from '@kiln/logger';
import { z } from 'zod';
import { createDashboardServer } from './server.js';

const httpUrl = z
  .string()
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'must be an http(s):// URL');

/** The dashboard server's variables. */
export const dashboardConfigSchema = z.object({
  KILN_DASHBOARD_PORT: port(3002),
  KILN_API_URL: httpUrl.default('http://127.0.0.1:3000'),
  /** The API's KILN_PUBLIC_URL, when set: its signed URLs start there, so the page's CSP must allow it. */
  KILN_PUBLIC_URL: httpUrl.optional(),
  KILN_LOG_LEVEL: logLevel,
});
export type DashboardConfig = z.output<typeof dashboardConfigSchema>;

/** The built page next to the built server: dist/server/main.js serves dist/web. */
const DEFAULT_WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../web');

/**
 * Wires the dashboard's static server from its config. `stop()` stops accepting; keep-alive
 * sockets (and browsers' pre-opened ones) would hold it open, so idle ones go at once and the
 * rest after a second of grace for in-flight static responses.
 */
export function buildDashboard(
  config: DashboardConfig,
  logger = createLogger({ name: 'dashboard', level: config.KILN_LOG_LEVEL }),
  webRoot = DEFAULT_WEB_ROOT,
): BuiltApp & { server: Server; webRoot: string } {
  const server = createDashboardServer({
    webRoot,
    apiUrl: config.KILN_API_URL,
    ...(config.KILN_PUBLIC_URL !== undefined ? { publicUrl: config.KILN_PUBLIC_URL } : {}),
    logger: logger.child({ component: 'http' }),
  });
  let stopping: Promise<void> | undefined;
  return {
    server,
    webRoot,
    start: async () => undefined,
    stop: () => (stopping ??= closeServer(server, 1_000)),
  };
}
