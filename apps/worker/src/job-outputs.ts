import {
  isDirectoryPreset,
  isStreamPreset,
  needsAudio,
  needsVideo,
  type Job,
  type JobOutput,
  type JobProgress,
  type Preset,
} from '@kiln/jobs';
import { outputTooSmall, type MediaInfo, type TranscodeResult } from '@kiln/media';
import { bitrateKbps, type StoredOutput } from '@kiln/storage';
import { InputError } from './input.errors.js';

/**
 * Refuses, as bad input, a probe result without the streams the presets need, with a picture too
 * small for a preset's encoder (AV1 needs 64 pixels a side, HEVC 16), or without a measurable duration.
 */
export function checkStreams(media: MediaInfo, presets: readonly Preset[]): void {
  const video = presets.filter(needsVideo);
  if (!media.video && video.length > 0)
    throw new InputError(
      'no_video',
      `input has no video stream (needed by ${video.map((p) => p.id).join(', ')}); an audio-only input can use audio-aac`,
    );
  const audio = presets.filter(needsAudio);
  if (!media.audio && audio.length > 0)
    throw new InputError('no_audio', `input has no audio stream (needed by ${audio.map((p) => p.id).join(', ')})`);
  for (const p of presets) {
    const small = outputTooSmall(p, media);
    if (small)
      throw new InputError(
        'input_resolution_too_small',
        `input picture is ${small.size.width}x${small.size.height}; ${p.id} needs at least ${small.minSide} pixels on each side`,
      );
  }
  if (!(media.durationSeconds > 0)) throw new InputError('invalid_input', 'input has no measurable duration');
}

/**
 * Refuses, as bad input (`clip_out_of_range`), a job's clip that starts at or past the end of the
 * input as probed. An end past the input's end is fine: the clip runs to the end.
 */
export function checkClip(clip: Job['clip'], media: MediaInfo): void {
  if (clip && clip.startSeconds >= media.durationSeconds)
    throw new InputError(
      'clip_out_of_range',
      `clip.startSeconds is ${clip.startSeconds}; the input is only ${Math.round(media.durationSeconds * 1000) / 1000} s long`,
    );
}

/**
 * An output once stored: its size, checksum or files, bit rate and frame size. Its `downloadPath`
 * is not the worker's to write: the job store derives it on every read.
 */
export function completedOutput(
  out: JobOutput,
  preset: Preset,
  result: TranscodeResult,
  stored: StoredOutput,
): JobOutput {
  // A directory output has a duration only when it is a stream (HLS, CMAF), not for thumbnails or a
  // storyboard; a preview's is its own (5 s at most), not the input's.
  const durationSeconds = !isDirectoryPreset(preset) || isStreamPreset(preset) ? result.durationSeconds : null;
  return {
    ...out,
    ...stored,
    durationSeconds,
    bitrateKbps: bitrateKbps(stored.sizeBytes, durationSeconds),
    status: 'completed',
    width: result.width,
    height: result.height,
  };
}

/** `list` with the item at `index` replaced by `value`. */
export function replaceAt<T>(list: readonly T[], index: number, value: T): T[] {
  return list.map((v, i) => (i === index ? value : v));
}

/**
 * Progress of outputs mapped onto the whole job: the `size` outputs from `index` on are at
 * `p.percent` (one output, or a one-decode command's outputs, which advance together), those
 * before them are done, those after them not begun.
 */
export function overall(p: JobProgress, index: number, count: number, size = 1): JobProgress {
  return { ...p, percent: Math.round(((index + (size * p.percent) / 100) / count) * 1000) / 10 };
}

/** The kinds of output a one-decode command writes (CMAF has a filter graph of its own). */
const JOINS_ONE_DECODE: readonly Preset['kind'][] = ['mp4', 'webm', 'hls', 'thumbnails', 'audio'];

/**
 * How a job's outputs are encoded with one decode: those that can be, all by one ffmpeg, when two
 * or more of them need the input's video (each would decode it again; an audio-only output rides
 * along), then each of the others by itself; else each by itself, which keeps the early start of a
 * lone MP4 or WebM beside the probe. The one-decode group comes first.
 */
export function oneDecodeGroups<T extends { preset: Preset }>(planned: readonly T[]): T[][] {
  const joins = planned.filter((p) => JOINS_ONE_DECODE.includes(p.preset.kind));
  if (joins.filter((p) => needsVideo(p.preset)).length < 2) return planned.map((p) => [p]);
  return [joins, ...planned.filter((p) => !joins.includes(p)).map((p) => [p])];
}
