import { createHmac } from 'node:crypto';

/** `X-Pusher-Signature` for a webhook body: HMAC-SHA256 hex of the raw bytes with the app secret. */
export function webhookSignature(secret: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Headers of a webhook signed as Pusher (and soketi) sign them. */
export function signedWebhookHeaders(key: string, secret: string, body: Buffer | string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-pusher-key': key,
    'x-pusher-signature': webhookSignature(secret, body),
  };
}
