import { runApp } from '@kiln/app-kit';
import { loadConfig, loadConfigOrExit } from '@kiln/config';
import { createLogger } from '@kiln/logger';
import { buildDashboard, dashboardConfigSchema } from './build-dashboard.js';

const config = loadConfigOrExit('dashboard', () => loadConfig(dashboardConfigSchema, process.env));
const logger = createLogger({ name: 'dashboard', level: config.KILN_LOG_LEVEL });
const built = buildDashboard(config, logger);
await runApp(built, {
  name: 'dashboard',
  logger,
  port: config.KILN_DASHBOARD_PORT,
  hardExitMs: 5_000,
  message: 'dashboard listening',
  details: { apiUrl: config.KILN_API_URL, webRoot: built.webRoot },
});
