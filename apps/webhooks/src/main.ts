import { runApp } from '@kiln/app-kit';
import { loadConfig, loadConfigOrExit } from '@kiln/config';
import { createLogger } from '@kiln/logger';
import { buildWebhooks } from './build-webhooks.js';
import { webhooksConfigSchema } from './config.js';

const config = loadConfigOrExit('webhooks', () => loadConfig(webhooksConfigSchema, process.env));
const logger = createLogger({ name: 'webhooks', level: config.KILN_LOG_LEVEL });
await runApp(buildWebhooks(config, logger), {
  name: 'webhooks',
  logger,
  port: config.KILN_WEBHOOKS_PORT,
  hardExitMs: 10_000,
  message: 'webhooks listening',
  details: { reconcileIntervalS: config.KILN_RECONCILE_INTERVAL_S },
});
