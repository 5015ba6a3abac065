/**
 * The base of every error Kiln raises on purpose. Each subclass states its public `code` (the
 * snake_case word clients, logs and job records carry) explicitly: codes are contracts, so none is
 * ever derived from a class name. `name` is the subclass's own name, for logs and stack traces.
 * Plain TypeScript with no dependencies, so browser code may use it too.
 */
export abstract class KilnError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The public code of `err` when it is a {@link KilnError}, else `undefined`. */
export function kilnErrorCode(err: unknown): string | undefined {
  return err instanceof KilnError ? err.code : undefined;
}
