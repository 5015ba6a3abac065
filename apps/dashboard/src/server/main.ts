import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, loadConfigOrExit, logLevel, port } from '@kiln/config';
import { createLogger } from '@kiln/logger';
import { z } from 'zod';
import { createDashboardServer } from './server.js';

const schema = z.object({
  KILN_DASHBOARD_PORT: port(3002),
  KILN_API_URL: z
    .string()
    .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'must be an http(s):// URL')
    .default('http://127.0.0.1:3000'),
  KILN_LOG_LEVEL: logLevel,
});

const config = loadConfigOrExit('dashboard', () => loadConfig(schema, process.env));
const logger = createLogger({ name: 'dashboard', level: config.KILN_LOG_LEVEL });
// dist/server/main.js serves dist/web.
const webRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../web');
const server = createDashboardServer({
  webRoot,
  apiUrl: config.KILN_API_URL,
  logger: logger.child({ component: 'http' }),
});

server.on('error', (err) => {
  logger.fatal({ err }, 'dashboard server failed');
  process.exit(1);
});
server.listen(config.KILN_DASHBOARD_PORT, () => {
  logger.info({ port: config.KILN_DASHBOARD_PORT, apiUrl: config.KILN_API_URL, webRoot }, 'dashboard listening');
});

let closing: Promise<void> | undefined;
/** Stops accepting, lets open requests finish, exits 0; a second signal changes nothing. */
function shutdown(signal: string): Promise<void> {
  closing ??= new Promise<void>((done) => {
    logger.info({ signal }, 'dashboard shutting down');
    // Keep-alive sockets (and browsers' pre-opened ones) would hold close() open: idle ones go at
    // once, the rest after a short grace for in-flight static responses, and a hard timer bounds all.
    setTimeout(() => server.closeAllConnections(), 1_000).unref();
    setTimeout(() => process.exit(0), 5_000).unref();
    server.close(() => {
      logger.flush();
      done();
      process.exit(0);
    });
    server.closeIdleConnections();
  });
  return closing;
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
