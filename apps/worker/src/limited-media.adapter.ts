import {
  MediaFrameTooLargeError,
  MediaProbeError,
  TranscodeBudgetExceededError,
  type FirstEncode,
  type ImageSize,
  type MediaAdapter,
  type MediaInfo,
  type MediaSource,
  type TranscodeOptions,
  type TranscodeResult,
} from '@kiln/media';
import { InputError } from './input.errors.js';
import { checkMediaLimits, type MediaLimits } from './media-limits.js';

/**
 * The worker's media toolkit with its input limits and work budgets enforced: an unreadable input,
 * a probe result over a limit, frames the decoder refused as too large, and an encode past its
 * budget all become {@link InputError}s (each with its own code), which fail the job at once
 * instead of retrying work that would fail the same way.
 */
export class LimitedMediaAdapter implements MediaAdapter {
  constructor(
    private readonly inner: MediaAdapter,
    private readonly limits: MediaLimits,
  ) {}

  /** Probes, then refuses what is over the limits (see {@link checkMediaLimits}). */
  async probe(path: string): Promise<MediaInfo> {
    const media = await this.inner.probe(path).catch(badInput);
    checkMediaLimits(media, this.limits);
    return media;
  }

  /** Encodes; a budget overrun is final. */
  transcode(opts: TranscodeOptions): Promise<TranscodeResult> {
    return this.inner.transcode(opts).catch(finalBudget);
  }

  /** Probes a watermark image (its own limits: see the inner adapter). */
  probeImage(path: string, signal?: AbortSignal): Promise<ImageSize> {
    return this.inner.probeImage(path, signal);
  }

  /** Opens the input with the same limits: refused when over them, its encodes' budget overruns final. */
  async open(input: string, first?: FirstEncode): Promise<MediaSource> {
    const source = await this.inner.open(input, first).catch(badInput);
    try {
      checkMediaLimits(source.info, this.limits);
    } catch (err) {
      await source.close();
      throw err;
    }
    return {
      info: source.info,
      transcode: (req) => source.transcode(req).catch(finalBudget),
      transcodeGroup: (req) => source.transcodeGroup(req).catch(finalBudget),
      close: () => source.close(),
    };
  }
}

function badInput(err: unknown): never {
  if (err instanceof MediaFrameTooLargeError) throw new InputError(err.code, `input ${err.message}`);
  if (err instanceof MediaProbeError)
    throw new InputError('invalid_input', `input is not a readable media file: ${err.message}`);
  throw err;
}

function finalBudget(err: unknown): never {
  if (err instanceof TranscodeBudgetExceededError) throw new InputError(err.code, err.message);
  throw err;
}
