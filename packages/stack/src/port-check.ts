import net from 'node:net';
import { StackStartError } from './stack.errors.js';

/** A port the stack is about to use, and the words to tell the operator when it is taken. */
export interface PortClaim {
  port: number;
  /** Who wants it, e.g. `KILN_API_PORT` or `embedded soketi`. */
  label: string;
  /** What to do about it, appended to the message. */
  hint?: string;
}

/** Whether a listen on `port` at `host` (undefined = all addresses, as the apps listen) fails with EADDRINUSE/EACCES. */
function taken(port: number, host: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' || err.code === 'EACCES'));
    server.listen({ port, ...(host ? { host } : {}) }, () => server.close(() => resolve(false)));
  });
}

/**
 * Checks, before anything is spawned, that each port is free both on all addresses (how the
 * apps listen) and on loopback, and throws one clear line naming the first one that is not:
 * `KILN_API_PORT: port 3000 is already in use …`. Failing here beats a half-started stack.
 */
export async function assertPortsFree(claims: readonly PortClaim[]): Promise<void> {
  for (const claim of claims) {
    if ((await taken(claim.port, undefined)) || (await taken(claim.port, '127.0.0.1'))) {
      throw new StackStartError(
        `${claim.label}: port ${claim.port} is already in use${claim.hint ? `; ${claim.hint}` : ''}`,
      );
    }
  }
}
