import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { TokenRejectedError } from './signed-tokens.errors.js';
import { randomSigningSecret, SignedTokensService } from './signed-tokens.service.js';

const SECRET = 'a-test-signing-secret-of-32-chars-or-more';
const T0 = new Date('2026-06-01T12:00:00Z');
const at = (d: Date) => new SignedTokensService(SECRET, () => d);
const later = (s: number) => new Date(T0.getTime() + s * 1000);
const PLAYBACK = { customerId: 'acme', jobId: 'job-1', output: 'hls', finishedAt: '2026-06-01T11:00:00.000Z' };

/** The reason a verification was refused, or 'granted'. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'granted';
  } catch (err) {
    if (err instanceof TokenRejectedError) return err.reason;
    throw err;
  }
}

describe('SignedTokensService', () => {
  it('round-trips a playback token scoped to a customer, job, output and finish, until its expiry to the second', async () => {
    const { token, expiresAt } = await at(T0).mintPlayback(PLAYBACK, 60);
    expect(expiresAt).toEqual(later(60));
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(await at(later(59)).verifyPlayback(token)).toEqual({ ...PLAYBACK, expiresAt: later(60) });
    expect(await outcome(at(later(60)).verifyPlayback(token))).toBe('expired');
  });

  it('round-trips customer and job viewer tokens with their channel and an id of their own', async () => {
    const job = await at(T0).mintViewer({ customerId: 'acme', jobId: 'job-1' }, 900);
    const customer = await at(T0).mintViewer({ customerId: 'acme' }, 900);
    expect(job.grant).toMatchObject({ customerId: 'acme', jobId: 'job-1', channel: 'private-job-job-1' });
    expect(customer.grant).toMatchObject({ customerId: 'acme', jobId: undefined, channel: 'private-customer-acme' });
    expect(job.grant.id).not.toBe(customer.grant.id);
    expect(await at(later(1)).verifyViewer(job.token)).toEqual(job.grant);
    expect(await at(later(1)).verifyViewer(customer.token)).toEqual(customer.grant);
    expect(await outcome(at(later(900)).verifyViewer(job.token))).toBe('expired');
  });

  it('never takes one kind for the other', async () => {
    const playback = (await at(T0).mintPlayback(PLAYBACK, 60)).token;
    const viewer = (await at(T0).mintViewer({ customerId: 'acme', jobId: 'job-1' }, 60)).token;
    expect(await outcome(at(T0).verifyViewer(playback))).toBe('invalid');
    expect(await outcome(at(T0).verifyPlayback(viewer))).toBe('invalid');
  });

  it('refuses forged, tampered, unsigned and malformed tokens as invalid, even expired ones', async () => {
    const other = new SignedTokensService(randomSigningSecret(), () => T0);
    const forged = (await other.mintPlayback(PLAYBACK, 60)).token;
    const genuine = (await at(T0).mintPlayback(PLAYBACK, 60)).token;
    const [header, payload, signature] = genuine.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = [
      header,
      Buffer.from(JSON.stringify({ ...claims, job: 'job-2' })).toString('base64url'),
      signature,
    ].join('.');
    const unsigned = new UnsecuredJWT({ ...claims }).encode();
    // Right secret, wrong algorithm family is not accepted either (only HS256).
    const hs512 = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS512' })
      .sign(new TextEncoder().encode(SECRET));
    for (const token of [forged, tampered, unsigned, hs512, 'not-a-token', 'a.b.c', ''])
      expect(await outcome(at(T0).verifyPlayback(token)), token).toBe('invalid');
    expect(await outcome(at(later(3600)).verifyPlayback(forged))).toBe('invalid');
  });

  it('makes random secrets long enough for KILN_SIGNING_SECRET', () => {
    const a = randomSigningSecret();
    expect(a.length).toBeGreaterThanOrEqual(32);
    expect(randomSigningSecret()).not.toBe(a);
  });
});
