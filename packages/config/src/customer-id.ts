/**
 * The one rule for customer ids (as KILN_API_KEYS spells them): letters, digits, `_` and `-`, at
 * most 64. They end up in Pusher channel names, Redis keys and storage paths, so nothing else is
 * allowed.
 */
const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `id` is a well-formed customer id (see {@link CUSTOMER_ID_PATTERN}). */
export function isCustomerId(id: string): boolean {
  return CUSTOMER_ID_PATTERN.test(id);
}
