import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FieldIssue } from '../errors.js';

/**
 * The API's early check of a job's input, so a customer gets a 400 naming the field instead of a
 * failed job. The worker checks again after resolving links; this is the lexical check.
 */
export class InputPolicy {
  private readonly roots: string[];

  constructor(roots: string[]) {
    this.roots = roots.map((r) => path.resolve(r));
  }

  /** Problems with `input`, or an empty list when it may be queued. */
  check(input: string): FieldIssue[] {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      return [{ path: 'input', message: 'not a valid URL' }];
    }
    if (url.protocol === 'file:') {
      if (this.roots.length === 0) return [{ path: 'input', message: 'file:// inputs are disabled on this server (KILN_INPUT_ROOTS is empty)' }];
      let file: string;
      try {
        file = path.resolve(fileURLToPath(url));
      } catch {
        return [{ path: 'input', message: 'not a valid local file URL' }];
      }
      const inside = this.roots.some((root) => file.startsWith(root.endsWith(path.sep) ? root : root + path.sep));
      if (!inside) return [{ path: 'input', message: 'file is outside the allowed input roots (KILN_INPUT_ROOTS)' }];
      return [];
    }
    if (url.protocol === 'http:' || url.protocol === 'https:') {
      return [{ path: 'input', message: 'http(s) inputs are not enabled on this server yet; use a file:// path under KILN_INPUT_ROOTS' }];
    }
    return [{ path: 'input', message: `unsupported scheme ${url.protocol.replace(':', '')}; use file://` }];
  }
}
