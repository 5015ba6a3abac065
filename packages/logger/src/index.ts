export { createLogger, REDACT_PATHS, type Logger } from './create-logger.js';
export { installShutdown, type Shutdown } from './shutdown.js';
