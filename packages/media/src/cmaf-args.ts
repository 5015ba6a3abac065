import type { CmafPreset, LadderRendition } from '@kiln/jobs';
import { DASH_MANIFEST_FILE, HLS_MASTER_FILE } from '@kiln/jobs';
import { LADDER_X264, ladderRateArgs, segmentKeyframes } from './ladder-args.js';
import { splitGraph, type SourceVideo } from './source-graph.js';
import type { FrameSize } from './transcode-args.js';

/** One rung of a CMAF ladder: its output size and rendition, as `hlsRungs` picks them. */
interface CmafRung {
  size: FrameSize;
  rendition: LadderRendition;
}

/**
 * What {@link cmafArgs} takes from `buildTranscodeArgs`, which owns these rules for every preset:
 * passed in, since that builder imports this file.
 */
export interface CmafArgsShared {
  /** The output directory. */
  output: string;
  /** The rungs for this input (none above it, no two of one size), top rung first. */
  rungs: CmafRung[];
  /** Whether the input has an audio stream. */
  hasAudio: boolean;
  /** The audio downmix for this input (`-ac 2` over two channels), empty otherwise. */
  downmix: string[];
  /** The input's deinterlace, tone map and watermark, before the split (`sourceGraph`). */
  source: SourceVideo;
  /**
   * Output options every encode ends with: timestamps kept, subtitles and data dropped, the muxing
   * queue, the thread count. They go before the manifest's path: ffmpeg ignores options after the last output.
   */
  tail: string[];
}

/** The init segment and media segments of each representation, beside the manifests (numbered from 1). */
const INIT_SEGMENT = 'init-$RepresentationID$.mp4';
const MEDIA_SEGMENT = 'seg-$RepresentationID$-$Number%05d$.m4s';

/**
 * The output options of a CMAF encode: one decode split into every rung, H.264 per rung as in HLS
 * (CRF with a `-maxrate`/`-bufsize` peak), keyframes forced on segment boundaries (the DASH muxer
 * cuts a segment at the first keyframe past each boundary), AAC per rung, and ffmpeg's DASH muxer
 * writing fMP4 segments, `manifest.mpd` (a static MPD: VOD) and, from the same segments, an HLS
 * master playlist with `media_<N>.m3u8` beside it. Video representations are streams 0..n-1 (one
 * adaptation set), audio ones n..2n-1 (another).
 */
export function cmafArgs(preset: CmafPreset, shared: CmafArgsShared): string[] {
  const { rungs, hasAudio } = shared;
  const top = rungs[0]?.size;
  if (!top) throw new TypeError('the input has no video stream to encode');
  // The DASH muxer refuses an adaptation set whose representations differ in display aspect ratio,
  // which rounding to even sizes makes them do (854x480 beside 1280x720): every rung is given the
  // top rung's (its pixels stay square; the lower rungs' are off square by under 1%). `max` keeps
  // the ratio exact rather than approximated under 100.
  const dar = `setdar=${top.width}/${top.height}:max=100000`;
  const filter = splitGraph(
    rungs.map((r) => `scale=${r.size.width}:${r.size.height},${dar}`),
    rungs.map((_, i) => `[v${i}]`),
    's',
    shared.source,
  );
  const maps = [
    ...rungs.flatMap((_, i) => ['-map', `[v${i}]`]),
    ...(hasAudio ? rungs.flatMap(() => ['-map', '0:a:0']) : []),
  ];
  return [
    '-filter_complex',
    filter,
    ...maps,
    ...LADDER_X264,
    ...ladderRateArgs(rungs, hasAudio),
    ...segmentKeyframes(preset.segmentSeconds),
    ...(hasAudio ? ['-c:a', 'aac', ...shared.downmix] : []),
    ...shared.tail,
    ...dashMuxerArgs(preset, shared),
  ];
}

/** ffmpeg's DASH muxer: fMP4 segments from a template with a timeline, both manifests. */
function dashMuxerArgs(preset: CmafPreset, shared: CmafArgsShared): string[] {
  return [
    '-f',
    'dash',
    '-dash_segment_type',
    'mp4',
    '-seg_duration',
    String(preset.segmentSeconds),
    '-use_template',
    '1',
    '-use_timeline',
    '1',
    '-init_seg_name',
    INIT_SEGMENT,
    '-media_seg_name',
    MEDIA_SEGMENT,
    '-adaptation_sets',
    shared.hasAudio ? 'id=0,streams=v id=1,streams=a' : 'id=0,streams=v',
    '-hls_playlist',
    '1',
    '-hls_master_name',
    HLS_MASTER_FILE,
    `${shared.output}/${DASH_MANIFEST_FILE}`,
  ];
}
