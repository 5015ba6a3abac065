import type { MediaInfo } from '@kiln/media';
import { InputError } from './input.errors.js';

/** What a worker accepts as input (KILN_MAX_INPUT_SECONDS, KILN_MAX_INPUT_PIXELS, KILN_MAX_INPUT_FPS). */
export interface MediaLimits {
  maxSeconds: number;
  /** Width × height of one frame. */
  maxPixels: number;
  maxFps: number;
}

/** Rounding in containers (a 240 fps clip that reads 240.1) is not a reason to refuse. */
const FPS_TOLERANCE = 1.01;
/**
 * Below one frame per 10 s on average over more than a minute, a video's duration is not backed by
 * its frames: a few hundred frames with huge timestamp gaps declaring hours. Phone, screen and
 * camera video (variable frame rate included) and 1 fps still-image videos are far above it.
 */
const MIN_MEAN_FPS = 0.1;
const MIN_MISMATCH_SECONDS = 60;

/**
 * Refuses, with an {@link InputError} whose code names the limit, a probed input that is longer,
 * larger per frame or faster than the limits, or whose declared duration does not fit its frame
 * count (see {@link MIN_MEAN_FPS}). Pure: the worker calls it on every probe result.
 */
export function checkMediaLimits(media: MediaInfo, limits: MediaLimits): void {
  if (media.durationSeconds > limits.maxSeconds) {
    throw new InputError(
      'input_too_long',
      `input lasts ${formatSeconds(media.durationSeconds)}, more than the limit of ${formatSeconds(limits.maxSeconds)}`,
    );
  }
  const video = media.video;
  if (!video) return;
  const pixels = video.width * video.height;
  if (pixels > limits.maxPixels) {
    throw new InputError(
      'input_resolution_too_large',
      `input frames are ${video.width}x${video.height} (${pixels} pixels), more than the limit of ${limits.maxPixels} pixels`,
    );
  }
  const fps = meanFps(video) ?? video.fps;
  if (fps !== null && fps > limits.maxFps * FPS_TOLERANCE) {
    throw new InputError(
      'input_fps_too_high',
      `input video runs at ${round(fps)} frames per second, more than the limit of ${limits.maxFps}`,
    );
  }
  const seconds = video.streamDurationSeconds ?? media.durationSeconds;
  if (video.frameCount && seconds > MIN_MISMATCH_SECONDS && video.frameCount / seconds < MIN_MEAN_FPS) {
    throw new InputError(
      'input_duration_mismatch',
      `input declares ${formatSeconds(seconds)} of video but has only ${video.frameCount} frames (one per ${round(seconds / video.frameCount)} s): its timestamps have gaps its frames do not fill`,
    );
  }
}

/** Frames over the stream's own duration, when the container gives both. */
function meanFps(video: NonNullable<MediaInfo['video']>): number | null {
  return video.frameCount && video.streamDurationSeconds ? video.frameCount / video.streamDurationSeconds : null;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function formatSeconds(s: number): string {
  return s >= 3600 ? `${round(s / 3600)} h (${Math.round(s)} s)` : `${round(s)} s`;
}
