import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that may carry secrets. pino replaces them before a line is written, so API keys, the
 * Pusher secret and S3 keys never reach a log even when a caller logs a whole object.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-pusher-signature"]',
  'headers.authorization',
  'authorization',
  'apiKey',
  'secret',
  'password',
  '*.secret',
  '*.apiKey',
  '*.password',
  '*.secretAccessKey',
  'KILN_S3_SECRET_ACCESS_KEY',
  '*.KILN_S3_SECRET_ACCESS_KEY',
];

/** Creates the one root logger of a process; classes take `logger.child({ component })`. */
export function createLogger(
  options: { name: string; level?: string } & Omit<LoggerOptions, 'name' | 'level'>,
  destination?: DestinationStream,
): Logger {
  const { name, level = 'info', ...rest } = options;
  const opts: LoggerOptions = {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { app: name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...rest,
  };
  return destination ? pino(opts, destination) : pino(opts);
}
