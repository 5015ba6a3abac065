import type { LadderRendition } from '@kiln/jobs';

/** The encoder of every rung of a streaming ladder (HLS, CMAF): x264 `veryfast`, High profile, yuv420p. */
export const LADDER_X264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p'];

/**
 * Each rung's rate control, by its index among the output's video (and audio) streams: CRF with a
 * `-maxrate` peak and a `-bufsize` of twice that (else an HLS master's BANDWIDTH is the audio rate
 * alone), and the rung's AAC rate when the input has audio.
 */
export function ladderRateArgs(rungs: readonly { rendition: LadderRendition }[], hasAudio: boolean): string[] {
  return rungs.flatMap((r, i) => [
    `-crf:v:${i}`,
    String(r.rendition.crf),
    `-maxrate:v:${i}`,
    `${r.rendition.maxrateKbps}k`,
    `-bufsize:v:${i}`,
    `${r.rendition.maxrateKbps * 2}k`,
    ...(hasAudio ? [`-b:a:${i}`, `${r.rendition.audioKbps}k`] : []),
  ]);
}

/** Keyframes forced on every segment boundary: else the muxer cannot cut segments of that length. */
export function segmentKeyframes(segmentSeconds: number): string[] {
  return ['-force_key_frames', `expr:gte(t,n_forced*${segmentSeconds})`];
}
