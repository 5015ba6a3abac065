import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WebhookAuthError, WebhookBodyError } from './realtime.errors.js';
import { WebhookVerifier } from './webhook-verifier.js';

const apps = [
  { key: 'key-current', secret: 'secret-current' },
  { key: 'key-old', secret: 'secret-old' },
];
const sign = (body: string, secret: string) => createHmac('sha256', secret).update(body).digest('hex');
const headers = (body: string, key = 'key-current', secret = 'secret-current') => ({
  'x-pusher-key': key,
  'x-pusher-signature': sign(body, secret),
});

describe('WebhookVerifier', () => {
  const verifier = new WebhookVerifier(apps);

  it('accepts a signed webhook and returns its occupancy events in order with its time', () => {
    const body = JSON.stringify({
      time_ms: 1700000000123,
      events: [
        { name: 'channel_occupied', channel: 'private-customer-a' },
        { name: 'client_event', channel: 'private-customer-a', event: 'x' },
        { name: 'channel_vacated', channel: 'private-customer-b' },
      ],
    });
    const v = verifier.verify(headers(body), Buffer.from(body));
    expect(v.events).toEqual([
      { name: 'channel_occupied', channel: 'private-customer-a', timeMs: 1700000000123 },
      { name: 'channel_vacated', channel: 'private-customer-b', timeMs: 1700000000123 },
    ]);
    expect(v.ignored).toBe(1);
  });

  it('accepts every configured key (secret rotation)', () => {
    const body = JSON.stringify({ time_ms: 1, events: [] });
    expect(verifier.verify(headers(body, 'key-old', 'secret-old'), Buffer.from(body)).events).toEqual([]);
  });

  it('refuses missing headers, unknown keys, wrong secrets and altered bodies with an auth error', () => {
    const body = JSON.stringify({ time_ms: 1, events: [] });
    expect(() => verifier.verify({}, Buffer.from(body))).toThrow(WebhookAuthError);
    expect(() => verifier.verify(headers(body, 'nope'), Buffer.from(body))).toThrow(WebhookAuthError);
    expect(() => verifier.verify(headers(body, 'key-current', 'secret-old'), Buffer.from(body))).toThrow(
      WebhookAuthError,
    );
    expect(() => verifier.verify(headers(body), Buffer.from(body + ' '))).toThrow(WebhookAuthError);
  });

  it('checks the signature before the body: a bad body with a bad signature is a 401, not a 400', () => {
    expect(() => verifier.verify(headers('x', 'key-current', 'wrong'), Buffer.from('{oops'))).toThrow(WebhookAuthError);
    expect(() => verifier.verify(headers('{oops'), Buffer.from('{oops'))).toThrow(WebhookBodyError);
    const noTime = JSON.stringify({ events: [] });
    expect(() => verifier.verify(headers(noTime), Buffer.from(noTime))).toThrow(/time_ms/);
  });

  it('never accepts a body unless it is signed with a configured secret (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string({ minLength: 0, maxLength: 64 }), (body, key, sig) => {
        try {
          verifier.verify({ 'x-pusher-key': key, 'x-pusher-signature': sig }, Buffer.from(body));
        } catch (err) {
          return err instanceof WebhookAuthError || err instanceof WebhookBodyError;
        }
        // Only reachable with a valid signature, which random strings essentially never are.
        return apps.some((a) => a.key === key && sign(body, a.secret) === sig);
      }),
    );
  });
});
