import { PROBE_TEXT_MAX, type InputProbe } from '@kiln/jobs';
import type { MediaInfo } from '@kiln/media';

/**
 * What the job's record keeps of a probe: a few hundred bytes whatever the input, strings cut to
 * what the wire schema allows (a record the schema refused would fail every read of the job), and
 * ffprobe's "unknown" (0, `unknown`) as null.
 */
export function inputProbeOf(media: MediaInfo): InputProbe {
  const { video, audio } = media;
  return {
    durationSeconds: media.durationSeconds,
    sizeBytes: media.sizeBytes > 0 ? media.sizeBytes : null,
    container: media.formatName === 'unknown' ? null : short(media.formatName),
    video: video && {
      codec: short(video.codec),
      width: video.width,
      height: video.height,
      fps: video.fps === null ? null : Math.round(video.fps * 1000) / 1000,
      pixelFormat: video.pixelFormat ? short(video.pixelFormat) : null,
      bitrateKbps: kbps(video.bitRate),
    },
    audio: audio && {
      codec: short(audio.codec),
      channels: audio.channels > 0 ? audio.channels : null,
      sampleRate: audio.sampleRate > 0 ? Math.round(audio.sampleRate) : null,
      bitrateKbps: kbps(audio.bitRate),
    },
  };
}

function short(text: string): string {
  return text.slice(0, PROBE_TEXT_MAX);
}

function kbps(bitsPerSecond: number | null | undefined): number | null {
  return typeof bitsPerSecond === 'number' && bitsPerSecond > 0 ? Math.round(bitsPerSecond / 1000) : null;
}
