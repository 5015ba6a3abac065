import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnrecoverableError } from 'bullmq';

/** Bad job input: fails the job at once with a readable reason, never retried. */
export class InputError extends UnrecoverableError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * Turns a job's `input` into a local file the worker may read: `file://` paths only under the
 * configured roots, checked after resolving `..` and symbolic links so a link cannot lead out.
 */
export class InputResolver {
  constructor(private readonly roots: string[]) {}

  async resolve(input: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw new InputError('invalid_input', 'input is not a valid URL');
    }
    if (url.protocol !== 'file:') throw new InputError('unsupported_input', `inputs with scheme ${url.protocol} are not supported by this worker`);
    let real: string;
    try {
      real = await realpath(fileURLToPath(url));
    } catch {
      throw new InputError('input_not_found', 'input file does not exist or cannot be read');
    }
    const roots = await Promise.all(this.roots.map((r) => realpath(path.resolve(r)).catch(() => undefined)));
    const inside = roots.some((root) => root !== undefined && real.startsWith(root + path.sep));
    if (!inside) throw new InputError('input_forbidden', 'input file is outside the allowed input roots');
    const info = await stat(real);
    if (!info.isFile()) throw new InputError('invalid_input', 'input is not a regular file');
    if (info.size === 0) throw new InputError('invalid_input', 'input file is empty (0 bytes)');
    return real;
  }
}
