import {
  directoryEntryFile,
  getPreset,
  isDirectoryPreset,
  outputFileName,
  type Job,
  type JobOutput,
  type Preset,
} from '@kiln/jobs';
import type { SignedTokensService } from './signed-tokens.service.js';

/** A signed URL's life when the request names none: an hour. */
export const DEFAULT_SIGNED_URL_TTL_S = 3600;
/** The longest life a signed URL may be given: a week. */
export const MAX_SIGNED_URL_TTL_S = 7 * 24 * 3600;

/** A signed URL of one output and when it stops working. */
export interface SignedUrl {
  url: string;
  /** ISO 8601; the token's `exp`, to the second. */
  expiresAt: string;
}

/**
 * The file a signed URL names after its token: the file name of a file output (`mp4-720p.mp4`),
 * the entry file of a directory output (`master.m3u8`), so a playlist's relative URIs resolve
 * under the same token.
 */
function entryOf(output: JobOutput, preset: Preset): string {
  return isDirectoryPreset(preset) ? directoryEntryFile(preset) : outputFileName(output.name, preset);
}

/**
 * Signed output URLs: `<origin>/play/<token>/<entry>`, the token scoped to the output and bound
 * to the job's `finishedAt` (a retried job's old URLs stop working). The origin is
 * KILN_PUBLIC_URL, else the one the request came to.
 */
export class SignedUrlService {
  constructor(
    private readonly tokens: SignedTokensService,
    private readonly publicUrl: string | undefined,
  ) {}

  /** Where signed URLs made for this request start: KILN_PUBLIC_URL, else its protocol and host. */
  originFor(req: { protocol: string; host: string | undefined }): string {
    // Express's `host` and `protocol` honour X-Forwarded-* from a trusted (loopback) proxy.
    return this.publicUrl ?? `${req.protocol}://${req.host ?? 'localhost'}`;
  }

  /** A signed URL of a completed output of a completed job (the caller checked both). */
  async forOutput(job: Job, output: JobOutput, preset: Preset, origin: string, ttlSeconds: number): Promise<SignedUrl> {
    const { token, expiresAt } = await this.tokens.mintPlayback(
      { customerId: job.customerId, jobId: job.id, output: output.name, finishedAt: job.finishedAt ?? '' },
      ttlSeconds,
    );
    const path = entryOf(output, preset).split('/').map(encodeURIComponent).join('/');
    return { url: `${origin}/play/${token}/${path}`, expiresAt: expiresAt.toISOString() };
  }

  /**
   * The job with `signedUrl` and `signedUrlExpiresAt` on each completed output, when the job is
   * completed (a URL is bound to the finish of the job); any other job as it is.
   */
  async withSignedUrls(job: Job, origin: string, ttlSeconds = DEFAULT_SIGNED_URL_TTL_S): Promise<Job> {
    if (job.status !== 'completed' || !job.finishedAt) return job;
    const outputs = await Promise.all(
      job.outputs.map(async (output) => {
        const preset = getPreset(output.preset);
        if (output.status !== 'completed' || !preset) return output;
        const signed = await this.forOutput(job, output, preset, origin, ttlSeconds);
        return { ...output, signedUrl: signed.url, signedUrlExpiresAt: signed.expiresAt };
      }),
    );
    return { ...job, outputs };
  }
}
