import { parseFfprobeJson, type MediaInfo } from '@kiln/media';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyFailure } from './classify-failure.js';
import { InputError } from './input.errors.js';
import { checkMediaLimits, type MediaLimits } from './media-limits.js';

const LIMITS: MediaLimits = { maxSeconds: 6 * 3600, maxPixels: 8192 * 4320, maxFps: 240 };

/** A probe result as ffprobe would give it for an MP4 with one video stream. */
function mp4(v: { width?: number; height?: number; frames?: number; seconds: number; avg?: string }): MediaInfo {
  return parseFfprobeJson({
    format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: String(v.seconds) },
    streams: [
      {
        codec_type: 'video',
        codec_name: 'h264',
        width: v.width ?? 1920,
        height: v.height ?? 1080,
        avg_frame_rate: v.avg ?? (v.frames !== undefined ? `${v.frames}/${v.seconds}` : '30/1'),
        r_frame_rate: '30/1',
        duration: String(v.seconds),
        ...(v.frames !== undefined ? { nb_frames: String(v.frames) } : {}),
      },
    ],
  });
}

function refusal(media: MediaInfo, limits = LIMITS): InputError | undefined {
  try {
    checkMediaLimits(media, limits);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect(classifyFailure(err, { attempt: 1, maxAttempts: 3, handingOver: false, lockLost: false }).kind).toBe(
      'final',
    );
    return err as InputError;
  }
}

describe('checkMediaLimits', () => {
  it('accepts an ordinary 1080p30 clip', () => {
    expect(refusal(mp4({ frames: 300, seconds: 10 }))).toBeUndefined();
  });

  it('refuses an input longer than the limit with input_too_long', () => {
    const err = refusal(mp4({ frames: 30 * 21_601, seconds: 21_601 }));
    expect(err).toMatchObject({ code: 'input_too_long' });
    expect(err?.message).toMatch(/6 h \(21601 s\).*limit of 6 h \(21600 s\)/);
    expect(refusal(mp4({ frames: 30 * 21_600, seconds: 21_600 }))).toBeUndefined();
  });

  it('refuses frames of more pixels than the limit with input_resolution_too_large, width × height', () => {
    expect(refusal(mp4({ width: 8192, height: 8192, frames: 1, seconds: 0.04 }))).toMatchObject({
      code: 'input_resolution_too_large',
    });
    expect(refusal(mp4({ width: 8192, height: 4320, frames: 25, seconds: 1 }))).toBeUndefined();
    expect(refusal(mp4({ width: 4320, height: 8193, frames: 25, seconds: 1 }))?.message).toMatch(
      /4320x8193 \(35393760 pixels\), more than the limit of 35389440 pixels/,
    );
  });

  it('refuses video faster than the limit with input_fps_too_high, tolerating container rounding', () => {
    expect(refusal(mp4({ frames: 4800, seconds: 10 }))).toMatchObject({ code: 'input_fps_too_high' });
    expect(refusal(mp4({ frames: 2401, seconds: 10 }))).toBeUndefined();
    // Without a frame count, the declared average rate decides.
    expect(refusal(mp4({ seconds: 10, avg: '1000/1' }))).toMatchObject({ code: 'input_fps_too_high' });
  });

  it('refuses the timestamp-gap file (720 frames declaring 4 h) with input_duration_mismatch', () => {
    const err = refusal(mp4({ width: 320, height: 240, frames: 720, seconds: 14_400 }));
    expect(err).toMatchObject({ code: 'input_duration_mismatch' });
    expect(err?.message).toMatch(/4 h \(14400 s\) of video but has only 720 frames \(one per 20 s\)/);
    // At 10 h it is over the length limit first.
    expect(refusal(mp4({ width: 320, height: 240, frames: 720, seconds: 35_928.8 }))).toMatchObject({
      code: 'input_too_long',
    });
  });

  it('accepts still-image videos at 1 fps, a single frame of a short clip, and files without a frame count', () => {
    expect(refusal(mp4({ frames: 3600, seconds: 3600 }))).toBeUndefined();
    expect(refusal(mp4({ frames: 1, seconds: 30 }))).toBeUndefined();
    expect(refusal(mp4({ seconds: 3600, avg: '0/0' }))).toBeUndefined();
  });

  it('never refuses variable-frame-rate phone video within the limits (property)', () => {
    fc.assert(
      fc.property(
        // A phone records 24–240 fps nominal, and drops to a few fps in the dark or while idle.
        fc.double({ min: 3, max: 240, noNaN: true }),
        fc.double({ min: 0.5, max: LIMITS.maxSeconds, noNaN: true }),
        fc.constantFrom([1920, 1080], [1080, 1920], [3840, 2160], [1280, 720], [640, 480]),
        (meanFps, seconds, [width, height]) => {
          const frames = Math.max(1, Math.round(meanFps * seconds));
          expect(refusal(mp4({ width: width!, height: height!, frames, seconds }))).toBeUndefined();
        },
      ),
    );
  });

  it('refuses every input over any limit, with the code of the first limit it breaks (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 4 * LIMITS.maxSeconds, noNaN: true }),
        fc.integer({ min: 16, max: 16_384 }),
        fc.integer({ min: 16, max: 16_384 }),
        fc.double({ min: 0.001, max: 1000, noNaN: true }),
        (seconds, width, height, meanFps) => {
          const frames = Math.max(1, Math.round(meanFps * seconds));
          const media = mp4({ width, height, frames, seconds });
          const fps = frames / seconds;
          const expected =
            seconds > LIMITS.maxSeconds
              ? 'input_too_long'
              : width * height > LIMITS.maxPixels
                ? 'input_resolution_too_large'
                : fps > LIMITS.maxFps * 1.01
                  ? 'input_fps_too_high'
                  : seconds > 60 && fps < 0.1
                    ? 'input_duration_mismatch'
                    : undefined;
          expect(refusal(media)?.code).toBe(expected);
        },
      ),
    );
  });
});
