import {
  MediaFrameTooLargeError,
  TranscodeBudgetExceededError,
  type EarlyTranscode,
  type EarlyTranscodeRequest,
  type MediaAdapter,
  type MediaInfo,
  type TranscodeOptions,
  type TranscodeResult,
} from '@kiln/media';
import { InputError } from './input.errors.js';
import { checkMediaLimits, type MediaLimits } from './media-limits.js';

/**
 * The worker's media toolkit with its input limits and work budgets enforced: a probe result over
 * a limit, frames the decoder refused as too large, and an encode past its budget all become
 * {@link InputError}s (each with its own code), which fail the job at once instead of retrying work
 * that would fail the same way.
 */
export class LimitedMediaAdapter implements MediaAdapter {
  constructor(
    private readonly inner: MediaAdapter,
    private readonly limits: MediaLimits,
  ) {}

  /** Probes, then refuses what is over the limits (see {@link checkMediaLimits}). */
  async probe(path: string): Promise<MediaInfo> {
    let media: MediaInfo;
    try {
      media = await this.inner.probe(path);
    } catch (err) {
      if (err instanceof MediaFrameTooLargeError) throw new InputError(err.code, `input ${err.message}`);
      throw err;
    }
    checkMediaLimits(media, this.limits);
    return media;
  }

  /** Encodes; a budget overrun is final. */
  transcode(opts: TranscodeOptions): Promise<TranscodeResult> {
    return this.inner.transcode(opts).catch(finalBudget);
  }

  /** Starts early when the inner toolkit can; its run's budget overrun is final too. */
  async startEarly(req: EarlyTranscodeRequest): Promise<EarlyTranscode | null> {
    const early = (await this.inner.startEarly?.(req)) ?? null;
    return early && { run: (opts) => early.run(opts).catch(finalBudget), abandon: () => early.abandon() };
  }
}

function finalBudget(err: unknown): never {
  if (err instanceof TranscodeBudgetExceededError) throw new InputError(err.code, err.message);
  throw err;
}
