import type { z } from 'zod';
import { ConfigError } from './config.errors.js';

/**
 * Parses environment variables with a zod object schema, once, at start. Unknown variables are
 * ignored; every bad one is reported together so an operator fixes them in one go.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  // Empty strings mean "unset": a compose file with `FOO=` should get FOO's default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      variable: issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)',
      message: issue.message,
    })),
  );
}

/**
 * Runs `load` and, on a {@link ConfigError}, prints one line per bad variable to stderr and exits
 * with status 1: the behaviour every Kiln app has at start.
 */
export function loadConfigOrExit<T>(app: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const issue of err.issues)
        process.stderr.write(`${app}: invalid configuration: ${issue.variable}: ${issue.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
