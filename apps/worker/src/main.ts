import { runApp } from '@kiln/app-kit';
import { loadConfig, loadConfigOrExit } from '@kiln/config';
import { createLogger } from '@kiln/logger';
import { buildWorker } from './build-worker.js';
import { workerConfigSchema } from './config.js';

const config = loadConfigOrExit('worker', () => loadConfig(workerConfigSchema, process.env));
const logger = createLogger({ name: 'worker', level: config.KILN_LOG_LEVEL });
const built = buildWorker(config, logger);
// "worker ready" once the metrics port listens, the BullMQ worker runs and cancels are subscribed.
await runApp(built, {
  name: 'worker',
  logger,
  port: config.KILN_WORKER_METRICS_PORT,
  host: '0.0.0.0',
  hardExitMs: config.KILN_SHUTDOWN_GRACE_S * 1000 + 15_000,
  message: 'worker ready',
  details: {
    concurrency: config.KILN_WORKER_CONCURRENCY,
    prefetch: config.KILN_WORKER_PREFETCH,
    storage: built.storage.kind,
    bucket: built.storage.bucket,
  },
});
