import { randomBytes } from 'node:crypto';

/** The prefix Standard Webhooks gives a base64 signing secret. */
const SECRET_PREFIX = 'whsec_';

/** A new endpoint signing secret: `whsec_` and 24 random bytes in base64 (the form `standardwebhooks` takes). */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(24).toString('base64')}`;
}

/**
 * The secrets a delivery made at `now` is signed with: the current one, and the previous one while
 * its overlap after a rotation lasts, so a receiver verifies with either during the switch.
 */
export function signingSecrets(
  endpoint: { secret: string; previousSecret: string | null; previousSecretExpiresAt: string | null },
  now: number,
): string[] {
  const { previousSecret, previousSecretExpiresAt } = endpoint;
  const overlapping = previousSecret && previousSecretExpiresAt && Date.parse(previousSecretExpiresAt) > now;
  return overlapping ? [endpoint.secret, previousSecret] : [endpoint.secret];
}
