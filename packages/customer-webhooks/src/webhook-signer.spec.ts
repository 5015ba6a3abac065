import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signingSecrets } from './webhook-secret.js';
import { signWebhook } from './webhook-signer.js';
import { newWebhookSecret } from './webhook-secret.js';

describe('signWebhook', () => {
  const body = JSON.stringify({ type: 'job.completed', timestamp: '2026-01-01T00:00:00.000Z', data: { job: {} } });

  it('sets the Standard Webhooks headers, which the standardwebhooks package verifies', () => {
    const secret = newWebhookSecret();
    const headers = signWebhook('msg_1', new Date(), body, [secret]);
    expect(headers['webhook-id']).toBe('msg_1');
    expect(headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toMatchObject({ type: 'job.completed' });
    expect(() => new Webhook(secret).verify(`${body} `, { ...headers })).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, { ...headers })).toThrow();
  });

  it('carries one signature per secret, each verifying alone', () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()];
    const headers = signWebhook('msg_2', new Date(), body, [a, b]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [a, b]) expect(new Webhook(secret).verify(body, { ...headers })).toBeTruthy();
  });
});

describe('signingSecrets', () => {
  const endpoint = {
    secret: 'whsec_new',
    previousSecret: 'whsec_old',
    previousSecretExpiresAt: '2026-01-02T00:00:00.000Z',
  };

  it('signs with both secrets until the previous one expires, then with the current one only', () => {
    const expires = Date.parse(endpoint.previousSecretExpiresAt);
    expect(signingSecrets(endpoint, expires - 1)).toEqual(['whsec_new', 'whsec_old']);
    expect(signingSecrets(endpoint, expires)).toEqual(['whsec_new']);
    expect(signingSecrets({ ...endpoint, previousSecret: null, previousSecretExpiresAt: null }, 0)).toEqual([
      'whsec_new',
    ]);
  });
});
