import bytes from 'bytes';
import { z } from 'zod';

/**
 * A size in bytes from a plain count (`53687091200`) or a count with a unit (`50GB`, `20GiB`,
 * `1.5 TB`), read by the `bytes` package as Express reads its body limits: every unit is a power
 * of 1024, so `GB` and `GiB` mean the same. Undefined for anything else (negative, fractional
 * bytes, unknown units).
 */
export function parseByteSize(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // `bytes` knows kb…pb; the IEC spellings (KiB…PiB) name the same powers of 1024.
  const match = /^(\d+(?:\.\d+)?)\s*([kmgtp])i?b$/i.exec(trimmed);
  if (!match) return undefined;
  const value = bytes.parse(`${match[1]}${match[2]}b`);
  return value !== null && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** A byte count for people (`50 GB`), in the units {@link parseByteSize} reads (powers of 1024). */
export function formatByteSize(n: number): string {
  return bytes.format(n, { unitSeparator: ' ' }) ?? `${n} B`;
}

/** The message for a size {@link parseByteSize} refused. */
export const BYTE_SIZE_FORMAT = 'must be a number of bytes, or one with a unit like 50GB or 20GiB (0 = no limit)';

/** A byte size variable (see {@link parseByteSize}) with a default; 0 means "no limit". */
export const byteSize = (fallback: number) =>
  z
    .string()
    .transform((s, ctx) => {
      const value = parseByteSize(s);
      if (value === undefined) {
        ctx.addIssue({ code: 'custom', message: BYTE_SIZE_FORMAT });
        return z.NEVER;
      }
      return value;
    })
    .default(fallback);
