export { createLogger, REDACT_PATHS, type Logger } from './create-logger.js';
