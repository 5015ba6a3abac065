import type { HlsPreset, Preset } from '@kiln/jobs';
import { HLS_MASTER_FILE } from '@kiln/jobs';
import { INPUT_FORMAT_WHITELIST } from './ffprobe.adapter.js';
import type { MediaInfo } from './media-info.js';
import { sourceFilter } from './source-graph.js';
import { computeOutputSize, hlsRungs, type FrameSize } from './transcode-args.js';

/** The video frames of an input by presentation time: what a chunk plan is cut from. */
export interface FrameScan {
  /** The stream's time base: a pts times `num / den` is seconds. */
  timeBase: { num: number; den: number };
  /** The file's start time in seconds (its earliest stream's), or 0 when it gives none. */
  startSeconds: number;
  /** Every frame's pts (discarded packets left out), ascending. */
  pts: number[];
}

/**
 * One chunk: the frames whose pts is in `[startPts, endPts)` (to the end when `endPts` is null).
 * Chunks partition the input's frames, so their encodes together hold every frame exactly once,
 * whatever the input's keyframes, GOP structure or frame rate.
 */
export interface MediaChunk {
  index: number;
  startPts: number;
  endPts: number | null;
  /** Seconds from the first frame. */
  startSeconds: number;
  endSeconds: number;
  frames: number;
  /** Where the chunk's encode seeks the input to: a little before its first frame (then cut exactly by pts). */
  seekSeconds: number;
}

/** Seconds a chunk's encode starts reading before its first frame, so no seek can land past it (B-frame reordering). */
const SEEK_MARGIN_S = 1;

/**
 * Whether a preset is encoded in chunks: H.264 MP4 rungs and HLS (x264 encodes cut at any frame,
 * stitched as is). CMAF is encoded whole: its stitch would need the DASH muxer's own segmenting.
 */
export function isChunkable(preset: Preset): boolean {
  return (preset.kind === 'mp4' && preset.video.codec === 'h264') || preset.kind === 'hls';
}

/**
 * The chunk length for these presets: `chunkSeconds`, rounded to whole HLS segments when an HLS
 * preset is among them, so chunk boundaries are segment boundaries and the ladder is assembled
 * from the chunks.
 */
export function alignedChunkSeconds(presets: readonly Preset[], chunkSeconds: number): number {
  const segment = presets.find((p): p is HlsPreset => p.kind === 'hls')?.segmentSeconds;
  if (!segment) return chunkSeconds;
  return Math.max(segment, Math.round(chunkSeconds / segment) * segment);
}

/**
 * Cuts a scan into chunks: chunk k starts at the first frame at or after `k × chunkSeconds` from
 * the first frame; a last chunk shorter than half a chunk joins the one before.
 */
export function planChunks(scan: FrameScan, chunkSeconds: number): MediaChunk[] {
  const { pts } = scan;
  if (pts.length === 0) return [];
  const { num, den } = scan.timeBase;
  const first = pts[0]!;
  const seconds = (p: number) => ((p - first) * num) / den;
  const starts: number[] = [0];
  for (let i = 1, k = 1; i < pts.length; i++) {
    if (seconds(pts[i]!) < k * chunkSeconds) continue;
    starts.push(i);
    while (seconds(pts[i]!) >= k * chunkSeconds) k++;
  }
  const frameSeconds = pts.length > 1 ? seconds(pts.at(-1)!) / (pts.length - 1) : 0;
  const endOfInput = seconds(pts.at(-1)!) + frameSeconds;
  if (starts.length > 1 && endOfInput - seconds(pts[starts.at(-1)!]!) < chunkSeconds / 2) starts.pop();
  return starts.map((from, index) => {
    const to = starts[index + 1];
    const startSeconds = seconds(pts[from]!);
    return {
      index,
      startPts: pts[from]!,
      endPts: to === undefined ? null : pts[to]!,
      startSeconds,
      endSeconds: to === undefined ? endOfInput : seconds(pts[to]!),
      frames: (to ?? pts.length) - from,
      seekSeconds: Math.max(0, startSeconds - SEEK_MARGIN_S),
    };
  });
}

/** One video rendition every chunk encodes: its key (a file name), size and x264 settings. */
export interface ChunkRendition {
  key: string;
  size: FrameSize;
  crf: number;
  maxrateKbps: number;
  x264Preset: string;
  /** HLS rungs: a keyframe at least this often (segment boundaries), counted from the chunk's start. */
  keyframeSeconds: number | null;
}

/** The video renditions of chunkable presets, each once: an MP4 rung by preset id, an HLS rung as `<id>-v<i>`. */
export function chunkRenditions(presets: readonly Preset[], media: MediaInfo): ChunkRendition[] {
  const video = media.video;
  if (!video) return [];
  const display = { width: video.displayWidth, height: video.displayHeight };
  const out: ChunkRendition[] = [];
  for (const preset of presets) {
    if (preset.kind === 'mp4' && preset.video.codec === 'h264') {
      const { height, crf, maxrateKbps, x264Preset } = preset.video;
      const size = computeOutputSize(display, height);
      out.push({ key: preset.id, size, crf, maxrateKbps, x264Preset, keyframeSeconds: null });
    } else if (preset.kind === 'hls') {
      hlsRungs(media, preset).forEach((r, i) =>
        out.push({
          key: `${preset.id}-v${i}`,
          size: r.size,
          crf: r.rendition.crf,
          maxrateKbps: r.rendition.maxrateKbps,
          x264Preset: 'veryfast',
          keyframeSeconds: preset.segmentSeconds,
        }),
      );
    }
  }
  return out;
}

const HEAD = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-progress', 'pipe:1', '-y'];

/**
 * ffmpeg arguments that encode one chunk to every rendition from one decode, video only: the
 * input is read from a little before the chunk (`-ss`, no accurate seek) with its own timestamps
 * (`-copyts`), and `trim` keeps exactly the frames of the chunk by pts, so a cut needs no keyframe
 * there; every rendition is scaled and encoded as the whole encode does (x264, same settings).
 */
export function buildChunkArgs(req: {
  input: string;
  chunk: MediaChunk;
  renditions: (ChunkRendition & { output: string })[];
  threads?: number | undefined;
  maxPixels?: number | undefined;
  /** The input's probe result: an interlaced or HDR input is deinterlaced or tone-mapped as in the whole encode. */
  media?: MediaInfo | undefined;
}): string[] {
  const { chunk, renditions } = req;
  const n = renditions.length;
  const trim = `trim=start_pts=${chunk.startPts}${chunk.endPts === null ? '' : `:end_pts=${chunk.endPts}`}`;
  const source = req.media ? sourceFilter(req.media) : null;
  const filter =
    `[0:v]${trim},setpts=PTS-STARTPTS,${source ? `${source},` : ''}split=${n}${renditions.map((_, i) => `[s${i}]`).join('')};` +
    renditions.map((r, i) => `[s${i}]scale=${r.size.width}:${r.size.height},setsar=1[v${i}]`).join(';');
  const outputs = renditions.flatMap((r, i) => [
    '-map',
    `[v${i}]`,
    '-c:v',
    'libx264',
    '-preset',
    r.x264Preset,
    '-crf',
    String(r.crf),
    '-maxrate',
    `${r.maxrateKbps}k`,
    '-bufsize',
    `${r.maxrateKbps * 2}k`,
    '-profile:v',
    'high',
    '-pix_fmt',
    'yuv420p',
    ...(r.keyframeSeconds ? ['-force_key_frames', `expr:gte(t,n_forced*${r.keyframeSeconds})`] : []),
    '-fps_mode',
    'vfr',
    '-an',
    '-sn',
    '-dn',
    ...(req.threads !== undefined ? ['-threads', String(req.threads)] : []),
    '-f',
    'mp4',
    `file:${r.output}`,
  ]);
  return [
    ...HEAD,
    '-protocol_whitelist',
    'file,pipe',
    '-format_whitelist',
    INPUT_FORMAT_WHITELIST,
    ...(req.maxPixels !== undefined ? ['-max_pixels', String(req.maxPixels)] : []),
    '-copyts',
    '-noaccurate_seek',
    '-ss',
    chunk.seekSeconds.toFixed(6),
    '-i',
    `file:${req.input}`,
    '-filter_complex',
    filter,
    ...outputs,
  ];
}

/**
 * ffmpeg arguments that encode the input's first audio track once, AAC at `kbps` (stereo at
 * most), starting where the video's first frame is, as in the whole encode.
 */
export function buildAudioArgs(req: {
  input: string;
  media: MediaInfo;
  kbps: number;
  output: string;
  /** Seconds from the input's start to its first video frame (audio before it is cut, as the whole encode's timeline starts there). */
  videoStartSeconds: number;
  threads?: number | undefined;
}): string[] {
  const channels = req.media.audio && req.media.audio.channels > 2 ? ['-ac', '2'] : [];
  const skip = req.videoStartSeconds > 0.0005 ? ['-ss', req.videoStartSeconds.toFixed(6)] : [];
  return [
    ...HEAD,
    '-protocol_whitelist',
    'file,pipe',
    '-format_whitelist',
    INPUT_FORMAT_WHITELIST,
    ...skip,
    '-i',
    `file:${req.input}`,
    '-map',
    '0:a:0',
    '-vn',
    '-c:a',
    'aac',
    '-b:a',
    `${req.kbps}k`,
    ...channels,
    '-sn',
    '-dn',
    ...(req.threads !== undefined ? ['-threads', String(req.threads)] : []),
    '-f',
    'mp4',
    `file:${req.output}`,
  ];
}

/**
 * A concat demuxer list of one rendition's chunk files, each with its exact duration (but the
 * last), so the stitched timestamps are the input's own, frame for frame.
 */
export function concatList(files: readonly string[], chunks: readonly MediaChunk[]): string {
  const lines = ['ffconcat version 1.0'];
  files.forEach((file, i) => {
    lines.push(`file '${file.replaceAll("'", "'\\''")}'`);
    const chunk = chunks[i]!;
    if (i < files.length - 1) lines.push(`duration ${(chunk.endSeconds - chunk.startSeconds).toFixed(6)}`);
  });
  return `${lines.join('\n')}\n`;
}

/** The head of a stitch: our own concat lists (and audio files), read by nothing but file and concat. */
function stitchInputs(lists: readonly string[], audio: readonly string[]): string[] {
  return [
    ...HEAD,
    ...lists.flatMap((list) => [
      '-protocol_whitelist',
      'file,pipe',
      '-f',
      'concat',
      '-safe',
      '0',
      '-i',
      `file:${list}`,
    ]),
    ...audio.flatMap((file) => ['-protocol_whitelist', 'file,pipe', '-i', `file:${file}`]),
  ];
}

/** An MP4 stitched from one rendition's chunks and the audio, without encoding again (fast start). */
export function buildStitchMp4Args(req: { list: string; audio: string | null; output: string }): string[] {
  return [
    ...stitchInputs([req.list], req.audio ? [req.audio] : []),
    '-map',
    '0:v:0',
    ...(req.audio ? ['-map', '1:a:0'] : []),
    '-c',
    'copy',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    `file:${req.output}`,
  ];
}

/**
 * HLS assembled from each rung's chunks and its audio, without encoding again: the same layout,
 * segment length and playlists the whole `hls` encode writes. Chunks start on segment boundaries
 * with keyframes every segment, so the segments are those of the whole encode.
 */
export function buildStitchHlsArgs(req: {
  lists: readonly string[];
  /** Per rung, its audio file (none for an input without audio). */
  audio: readonly string[];
  segmentSeconds: number;
  output: string;
}): string[] {
  const n = req.lists.length;
  const hasAudio = req.audio.length === n && n > 0;
  const maps = req.lists.flatMap((_, i) => ['-map', `${i}:v:0`, ...(hasAudio ? ['-map', `${n + i}:a:0`] : [])]);
  const streamMap = req.lists.map((_, i) => (hasAudio ? `v:${i},a:${i}` : `v:${i}`)).join(' ');
  return [
    ...stitchInputs(req.lists, hasAudio ? req.audio : []),
    ...maps,
    '-c',
    'copy',
    '-f',
    'hls',
    '-hls_time',
    String(req.segmentSeconds),
    '-hls_playlist_type',
    'vod',
    '-hls_flags',
    'independent_segments',
    '-hls_segment_filename',
    `${req.output}/v%v/seg_%03d.ts`,
    '-master_pl_name',
    HLS_MASTER_FILE,
    '-var_stream_map',
    streamMap,
    `${req.output}/v%v/index.m3u8`,
  ];
}

/** The ffprobe arguments that list a file's video packets (pts and flags), one per line. */
export function scanArgs(input: string, maxPixels?: number): string[] {
  return [
    '-v',
    'error',
    '-protocol_whitelist',
    'file,pipe',
    '-format_whitelist',
    INPUT_FORMAT_WHITELIST,
    ...(maxPixels !== undefined ? ['-max_pixels', String(maxPixels)] : []),
    '-select_streams',
    'v:0',
    '-show_entries',
    'format=start_time:stream=time_base:packet=pts,flags',
    '-of',
    'compact=p=0:nk=0',
    `file:${input}`,
  ];
}

/** Parses {@link scanArgs}' output: the time base and every kept frame's pts, sorted. */
export function parseScan(out: string): FrameScan {
  let timeBase: FrameScan['timeBase'] | undefined;
  let startSeconds = 0;
  const pts: number[] = [];
  for (const line of out.split('\n')) {
    const fields = Object.fromEntries(line.split('|').map((kv) => kv.split('=') as [string, string]));
    if (fields.start_time !== undefined) {
      const start = Number(fields.start_time);
      if (Number.isFinite(start)) startSeconds = start;
    } else if (fields.time_base) {
      const [num, den] = fields.time_base.split('/').map(Number);
      if (num && den) timeBase = { num, den };
    } else if (fields.pts !== undefined && fields.pts !== 'N/A' && !(fields.flags ?? '').includes('D')) {
      pts.push(Number(fields.pts));
    }
  }
  if (!timeBase) throw new RangeError('ffprobe gave no time base for the video stream');
  pts.sort((a, b) => a - b);
  return { timeBase, startSeconds, pts };
}

/** Seconds from the file's start to its first video frame (the whole encode's timeline starts at the file's start). */
export function videoStartSeconds(scan: FrameScan): number {
  if (scan.pts.length === 0) return 0;
  return Math.max(0, (scan.pts[0]! * scan.timeBase.num) / scan.timeBase.den - scan.startSeconds);
}
