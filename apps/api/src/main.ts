import { runApp } from '@kiln/app-kit';
import { loadConfig, loadConfigOrExit } from '@kiln/config';
import { createLogger } from '@kiln/logger';
import { buildApi } from './build-api.js';
import { apiConfigSchema } from './config.js';

const config = loadConfigOrExit('api', () => loadConfig(apiConfigSchema, process.env));
const logger = createLogger({ name: 'api', level: config.KILN_LOG_LEVEL });
await runApp(buildApi(config, { logger }), {
  name: 'api',
  logger,
  port: config.KILN_API_PORT,
  hardExitMs: 10_000,
  message: 'api listening',
  details: {
    customers: new Set(config.KILN_API_KEYS.values()).size,
    rateLimitPerMin: config.KILN_RATE_LIMIT_PER_MIN,
    admin: config.KILN_ADMIN_USER !== undefined,
  },
});
