import { Webhook } from 'standardwebhooks';

/** The Standard Webhooks headers of one attempt. */
export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs an attempt with the `standardwebhooks` package: `webhook-timestamp` is the attempt's time
 * (so a retry passes receivers' freshness check), `webhook-signature` holds one `v1,<base64>` per
 * secret, space-separated, which the spec lets receivers match against any of them (secret rotation).
 */
export function signWebhook(webhookId: string, at: Date, body: string, secrets: readonly string[]): WebhookHeaders {
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(webhookId, at, body)).join(' '),
  };
}
