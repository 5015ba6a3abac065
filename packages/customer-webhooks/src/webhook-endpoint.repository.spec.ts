import { randomUUID } from 'node:crypto';
import { useRedis } from '@kiln/testing';
import { describe, expect, it } from 'vitest';
import { WebhookEndpointRepository } from './webhook-endpoint.repository.js';
import { EndpointLimitError } from './webhooks.errors.js';

const H = 3600_000;

describe('WebhookEndpointRepository', () => {
  const db = useRedis();
  // A clock that moves a second per read, so endpoints created one after another sort in that order.
  const ticking = (start = Date.parse('2026-01-01T00:00:00Z')) => {
    let t = start;
    return () => (t += 1000);
  };
  const fresh = (clock = ticking()) => new WebhookEndpointRepository(db.redis, `test-${randomUUID()}`, clock);
  const input = { url: 'https://hooks.example/in', events: ['job.completed' as const], description: null };

  it("keeps each customer's endpoints apart and refuses one past the cap", async () => {
    const repo = fresh();
    const a = await repo.create('acme', input, 2);
    await repo.create('acme', { ...input, url: 'https://hooks.example/b' }, 2);
    await expect(repo.create('acme', input, 2)).rejects.toBeInstanceOf(EndpointLimitError);
    await repo.create('globex', input, 2);
    expect((await repo.list('acme')).map((e) => e.url)).toEqual([
      'https://hooks.example/in',
      'https://hooks.example/b',
    ]);
    expect(await repo.getForCustomer('globex', a.id)).toBeNull();
    expect(await repo.delete('globex', a.id)).toBe(false);
    expect(await repo.delete('acme', a.id)).toBe(true);
    await repo.create('acme', input, 2);
    expect(a.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
  });

  it('rotates the secret, keeping the old one until the overlap ends', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const repo = fresh(() => now);
    const e = await repo.create('acme', input, 0);
    const rotated = await repo.rotateSecret('acme', e.id, 24 * H);
    expect(rotated).toMatchObject({
      previousSecret: e.secret,
      previousSecretExpiresAt: new Date(now + 24 * H).toISOString(),
    });
    expect(rotated!.secret).not.toBe(e.secret);
    expect(await repo.get(e.id)).toMatchObject({ secret: rotated!.secret, previousSecret: e.secret });
  });

  it('disables an endpoint failing for the whole period, with a reason, and enables it again', async () => {
    const repo = fresh();
    const e = await repo.create('acme', input, 0);
    const at = (h: number) => ({ ok: false, error: 'HTTP 500 Internal Server Error', at: h * H });
    expect((await repo.recordAttempt(e, at(1), 72 * H)).disable).toBeNull();
    expect((await repo.recordAttempt(e, at(50), 72 * H)).disable).toBeNull();
    expect((await repo.get(e.id))?.failingSince).toBe(1 * H);
    expect((await repo.recordAttempt(e, at(73), 72 * H)).disable).toContain('HTTP 500');
    expect(await repo.get(e.id)).toMatchObject({ status: 'disabled', disabledReason: expect.stringContaining('72 h') });
    expect(await repo.enable('acme', e.id)).toMatchObject({
      status: 'enabled',
      disabledReason: null,
      failingSince: null,
    });
    expect(await repo.get(e.id)).toMatchObject({ status: 'enabled', disabledReason: null, failingSince: null });
  });

  it('does not bring a deleted endpoint back when an attempt is recorded against it', async () => {
    const repo = fresh();
    const e = await repo.create('acme', input, 0);
    await repo.delete('acme', e.id);
    await repo.recordAttempt(e, { ok: false, error: 'x', at: 100 * H }, H);
    expect(await repo.get(e.id)).toBeNull();
    expect(await repo.rotateSecret('acme', e.id, H)).toBeNull();
    expect(await repo.enable('acme', e.id)).toBeNull();
  });
});
