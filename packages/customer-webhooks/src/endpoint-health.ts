/** An endpoint's failure streak: when its deliveries began failing without a success since (ms), or null. */
export interface EndpointHealth {
  failingSince: number | null;
}

/** What to do with an endpoint after one delivery attempt. */
export interface HealthVerdict {
  failingSince: number | null;
  /** Set when the endpoint is to be disabled: the reason its owner reads. */
  disable: string | null;
}

/**
 * The disable-after rule: a success ends the failure streak; a failure starts one (or continues
 * it), and a streak that has lasted `disableAfterMs` (KILN_WEBHOOK_DISABLE_AFTER_H) disables the
 * endpoint with a reason that says since when and what the last attempt got.
 */
export function healthAfterAttempt(
  health: EndpointHealth,
  attempt: { ok: boolean; error: string | null; at: number },
  disableAfterMs: number,
): HealthVerdict {
  if (attempt.ok) return { failingSince: null, disable: null };
  const since = health.failingSince ?? attempt.at;
  if (attempt.at - since < disableAfterMs) return { failingSince: since, disable: null };
  const hours = Math.round(disableAfterMs / 3600_000);
  return {
    failingSince: since,
    disable: `every delivery failed since ${new Date(since).toISOString()} (${hours} h or more); last error: ${attempt.error ?? 'unknown'}`,
  };
}
