import { randomBytes, randomUUID } from 'node:crypto';
import { customerChannel, jobChannel } from '@kiln/jobs';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { TokenRejectedError } from './signed-tokens.errors.js';

const ISSUER = 'kiln';
/** The `aud` claim tells the two kinds apart: a playback token is never a bearer token, nor the reverse. */
const PLAYBACK_AUDIENCE = 'kiln:playback';
const VIEWER_AUDIENCE = 'kiln:viewer';
const ALGORITHM = 'HS256';

/** What a playback token (the path segment of a signed URL) grants: one completed output of one job, until `expiresAt`. */
export interface PlaybackGrant {
  customerId: string;
  jobId: string;
  output: string;
  /**
   * The job's `finishedAt` when the URL was signed. A retried job finishes again with another
   * one, so the URLs signed for its earlier outputs stop working instead of serving new bytes.
   */
  finishedAt: string;
  expiresAt: Date;
}

/** What a viewer token grants: reading one job (with `jobId`) or all of a customer's jobs, and its channel. */
export interface ViewerGrant {
  /** The token's own id (`jti`): its rate-limit bucket. */
  id: string;
  customerId: string;
  jobId: string | undefined;
  /** `private-job-<jobId>` with a job, else `private-customer-<customerId>`. */
  channel: string;
  expiresAt: Date;
}

/**
 * Mints and verifies Kiln's two kinds of HS256 JWTs (with `jose`), both signed with
 * KILN_SIGNING_SECRET: playback tokens (signed output URLs) and viewer tokens (a customer's end
 * user reading one job, or the customer's jobs, and authorizing its channel without an API key).
 */
export class SignedTokensService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** A playback token for one output, valid for `ttlSeconds` from now. */
  async mintPlayback(
    grant: Omit<PlaybackGrant, 'expiresAt'>,
    ttlSeconds: number,
  ): Promise<{ token: string; expiresAt: Date }> {
    const expiresAt = this.expiry(ttlSeconds);
    const token = await this.sign(
      { job: grant.jobId, out: grant.output, fin: grant.finishedAt },
      grant.customerId,
      PLAYBACK_AUDIENCE,
      expiresAt,
    );
    return { token, expiresAt };
  }

  /** A viewer token for a customer's end user, valid for `ttlSeconds` from now. */
  async mintViewer(
    scope: { customerId: string; jobId?: string | undefined },
    ttlSeconds: number,
  ): Promise<{ token: string; grant: ViewerGrant }> {
    const expiresAt = this.expiry(ttlSeconds);
    const id = randomUUID();
    const claims = scope.jobId === undefined ? { jti: id } : { jti: id, job: scope.jobId };
    const token = await this.sign(claims, scope.customerId, VIEWER_AUDIENCE, expiresAt);
    return { token, grant: viewerGrant(id, scope.customerId, scope.jobId, expiresAt) };
  }

  /** The grant of a playback token; a {@link TokenRejectedError} when forged, of the other kind, or expired. */
  async verifyPlayback(token: string): Promise<PlaybackGrant> {
    const p = await this.verify(token, PLAYBACK_AUDIENCE);
    if (typeof p.job !== 'string' || typeof p.out !== 'string' || typeof p.fin !== 'string')
      throw new TokenRejectedError('invalid', 'not a playback token');
    return { customerId: p.sub!, jobId: p.job, output: p.out, finishedAt: p.fin, expiresAt: new Date(p.exp! * 1000) };
  }

  /** The grant of a viewer token; a {@link TokenRejectedError} when forged, of the other kind, or expired. */
  async verifyViewer(token: string): Promise<ViewerGrant> {
    const p = await this.verify(token, VIEWER_AUDIENCE);
    if (typeof p.jti !== 'string' || (p.job !== undefined && typeof p.job !== 'string'))
      throw new TokenRejectedError('invalid', 'not a viewer token');
    return viewerGrant(p.jti, p.sub!, p.job, new Date(p.exp! * 1000));
  }

  private expiry(ttlSeconds: number): Date {
    // JWT times are whole seconds: the expiry said is the one the token carries.
    return new Date((Math.floor(this.now().getTime() / 1000) + ttlSeconds) * 1000);
  }

  private sign(claims: JWTPayload, subject: string, audience: string, expiresAt: Date): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM })
      .setIssuer(ISSUER)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt(Math.floor(this.now().getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key);
  }

  private async verify(
    token: string,
    audience: string,
  ): Promise<JWTPayload & { job?: unknown; out?: unknown; fin?: unknown }> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience,
        requiredClaims: ['sub', 'exp'],
        currentDate: this.now(),
      });
      return payload;
    } catch (err) {
      // jose checks the signature before the claims: only a genuine token is ever called expired.
      if (err instanceof errors.JWTExpired) throw new TokenRejectedError('expired', 'token expired', { cause: err });
      throw new TokenRejectedError('invalid', 'token invalid', { cause: err });
    }
  }
}

function viewerGrant(id: string, customerId: string, jobId: string | undefined, expiresAt: Date): ViewerGrant {
  return { id, customerId, jobId, channel: jobId ? jobChannel(jobId) : customerChannel(customerId), expiresAt };
}

/** A random signing secret for an API started without KILN_SIGNING_SECRET (its tokens die with it). */
export function randomSigningSecret(): string {
  return randomBytes(32).toString('base64url');
}
