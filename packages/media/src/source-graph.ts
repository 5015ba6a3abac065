import type { MediaInfo } from './media-info.js';
import { watermarkGraph, type WatermarkOverlay } from './watermark.js';

/** What every output's picture goes through before its own filter: see {@link sourceGraph}. */
export interface SourceVideo {
  /** The probe result of the input (of the clip read). */
  media: MediaInfo;
  /** The job's watermark, placed on this input's frames. */
  watermark?: WatermarkOverlay | undefined;
}

/**
 * What every output's video goes through first, by what the probe says of the input: interlaced
 * video is deinterlaced (`bwdif`, a frame per frame, so frame counts and timestamps stay), and HDR
 * (PQ or HLG) is tone-mapped to SDR BT.709 8-bit (`zscale` to linear light, `tonemap` hable,
 * `zscale` to BT.709), as every preset is SDR. Null when neither applies.
 */
export function sourceFilter(media: MediaInfo): string | null {
  const steps: string[] = [];
  if (media.video?.interlaced) steps.push('bwdif=mode=send_frame:parity=auto:deint=all');
  if (media.video?.hdr)
    steps.push(
      'zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv420p',
    );
  return steps.length > 0 ? steps.join(',') : null;
}

/**
 * The graph that takes the decoded video from `head` (`[0:v]` in a `-filter_complex`, nothing in a
 * `-vf`) through the input's {@link sourceFilter} and the job's watermark, if any, and on through
 * the chain `rest`.
 */
export function sourceGraph(source: SourceVideo, head: string, rest: string): string {
  const filter = sourceFilter(source.media);
  if (source.watermark) return watermarkGraph(source.watermark, `${head}${filter ?? 'null'}`, rest);
  return `${head}${filter ? `${filter},` : ''}${rest}`;
}

/**
 * `[0:v]<source>,split=N[<tag>0]…;[<tag>0]<branch 0><pad 0>;…`: one decode (deinterlaced,
 * tone-mapped and watermarked once, as {@link sourceGraph} says) feeding every branch.
 */
export function splitGraph(
  branches: readonly string[],
  pads: readonly string[],
  tag: string,
  source: SourceVideo,
): string {
  return (
    sourceGraph(source, '[0:v]', `split=${branches.length}${branches.map((_, i) => `[${tag}${i}]`).join('')}`) +
    ';' +
    branches.map((b, i) => `[${tag}${i}]${b}${pads[i]}`).join(';')
  );
}
