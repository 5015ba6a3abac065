import path from 'node:path';
import { z } from 'zod';
import { InputRootsSyntaxError } from './config.errors.js';
import { isCustomerId } from './customer-id.js';
import { isInside } from './is-inside.js';

/**
 * The one answer to every refused `file://` input: outside the customer's roots, missing,
 * unreadable, a link leading out, another customer's root. One message for all of them, so the
 * answer never tells whether a file exists where the customer may not look.
 */
export const INPUT_FILE_REFUSED =
  "file is not available to this customer: it is outside the customer's input roots (KILN_INPUT_ROOTS), does not exist or cannot be read";

/**
 * The directories `file://` inputs may come from, per customer. Parsed from KILN_INPUT_ROOTS:
 *
 * ```
 * KILN_INPUT_ROOTS = entry *("," entry)
 * entry            = shared-path              ; every customer may read here (the old form)
 *                  | customer-id "=" abs-path ; only this customer
 * ```
 *
 * An entry starting with `/` or `.` is always a path (so `/srv/a=b` and `./x=y` are shared
 * paths); any other entry holding `=` must be `<customer id>=<absolute path>` with an id of
 * `[A-Za-z0-9_-]{1,64}`; anything else is a relative shared path, as before. Everything after the
 * first `=` is the path, so paths may hold `:` and `=`; no path may hold `,`. Repeat an id to give
 * a customer several roots.
 */
export class InputRoots {
  private readonly byCustomer: ReadonlyMap<string, readonly string[]>;

  constructor(
    /** Roots every customer may read. */
    readonly shared: readonly string[],
    byCustomer: ReadonlyMap<string, readonly string[]> = new Map(),
  ) {
    this.byCustomer = byCustomer;
  }

  /** Parses KILN_INPUT_ROOTS; throws {@link InputRootsSyntaxError} naming the bad entry. */
  static parse(raw: string): InputRoots {
    const shared: string[] = [];
    const byCustomer = new Map<string, string[]>();
    for (const entry of raw
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      const eq = entry.indexOf('=');
      if (entry.startsWith('/') || entry.startsWith('.') || eq < 0) {
        if (!shared.includes(entry)) shared.push(entry);
        continue;
      }
      const customerId = entry.slice(0, eq);
      const root = entry.slice(eq + 1).trim();
      if (!isCustomerId(customerId))
        throw new InputRootsSyntaxError(
          `entry ${JSON.stringify(entry)}: a customer root is <customer id>=<absolute path> with an id of [A-Za-z0-9_-] (write a shared path holding "=" as ./${entry})`,
        );
      if (!path.isAbsolute(root))
        throw new InputRootsSyntaxError(
          `entry ${JSON.stringify(entry)}: the root of customer ${customerId} must be an absolute path`,
        );
      const list = byCustomer.get(customerId) ?? [];
      if (!list.includes(root)) list.push(root);
      byCustomer.set(customerId, list);
    }
    return new InputRoots(shared, byCustomer);
  }

  /** Accepts the old shape (a list of shared roots) where callers still pass one. */
  static from(roots: InputRoots | readonly string[]): InputRoots {
    return roots instanceof InputRoots ? roots : new InputRoots([...roots]);
  }

  /** Whether no customer may read any `file://` input. */
  get isEmpty(): boolean {
    return this.shared.length === 0 && this.byCustomer.size === 0;
  }

  /** The customers that have roots of their own. */
  get customers(): string[] {
    return [...this.byCustomer.keys()];
  }

  /** The customer's own roots, then the shared ones, as configured (not resolved). */
  rootsFor(customerId: string): string[] {
    return [...(this.byCustomer.get(customerId) ?? []), ...this.shared];
  }

  /**
   * Whether `file` (absolute; `..` is resolved here) lies strictly inside one of the customer's
   * roots, judged on the path alone: no file system access, so a refusal here costs the same time
   * whether or not the file exists. Links are the caller's to resolve afterwards.
   */
  allowsPath(customerId: string, file: string): boolean {
    const resolved = path.resolve(file);
    return this.rootsFor(customerId).some((root) => isInside(root, resolved));
  }
}

/** KILN_INPUT_ROOTS as a config field: an {@link InputRoots}; a bad entry fails the variable. */
export const inputRoots = z
  .string()
  .default('')
  .transform((s, ctx) => {
    try {
      return InputRoots.parse(s);
    } catch (err) {
      if (!(err instanceof InputRootsSyntaxError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message });
      return z.NEVER;
    }
  });
