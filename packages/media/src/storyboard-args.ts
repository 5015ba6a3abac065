import { STORYBOARD_SPRITE_FILE, type StoryboardPreset } from '@kiln/jobs';
import type { MediaInfo } from './media-info.js';
import type { FrameSize, TranscodeArgsInput } from './transcode-args.js';

/** Where every tile of a storyboard sits in time and in the sprite; what both ffmpeg and the VTT writer follow. */
export interface StoryboardLayout {
  /** Milliseconds between tiles: tile `i` is the picture on screen at `i × intervalMs`. */
  intervalMs: number;
  /** The input's duration in whole milliseconds (at least 1): the last cue ends there. */
  durationMs: number;
  /** Tiles in the sprite, one per interval that starts before the end. */
  count: number;
  /** Tiles per row; tile `i` is in row `⌊i / columns⌋`, column `i mod columns`. */
  columns: number;
  rows: number;
  /** The size of one tile; the sprite is `columns × tile.width` by `rows × tile.height`. */
  tile: FrameSize;
}

/**
 * The layout of `preset`'s storyboard for an input: tiles at least `minIntervalSeconds` apart,
 * at most `maxTiles` of them (`maxTilesLong` from `longInputSeconds` on) so that a long input gets
 * a wider interval, not a bigger sprite. The interval is a whole number of milliseconds, so the
 * VTT times and ffmpeg's rate (`1000/intervalMs`) are exact. Throws a TypeError without video.
 */
export function storyboardLayout(media: MediaInfo, preset: StoryboardPreset): StoryboardLayout {
  if (!media.video) throw new TypeError('the input has no video stream to encode');
  const seconds = Number.isFinite(media.durationSeconds) ? media.durationSeconds : 0;
  const durationMs = Math.max(1, Math.round(seconds * 1000));
  const maxTiles = seconds >= preset.longInputSeconds ? preset.maxTilesLong : preset.maxTiles;
  const intervalMs = Math.max(Math.round(preset.minIntervalSeconds * 1000), Math.ceil(durationMs / maxTiles));
  const count = Math.ceil(durationMs / intervalMs);
  const columns = Math.min(count, preset.columns);
  const display = { width: media.video.displayWidth, height: media.video.displayHeight };
  return {
    intervalMs,
    durationMs,
    count,
    columns,
    rows: Math.ceil(count / columns),
    tile: tileSize(display, preset.tileLongSide),
  };
}

/**
 * The size of a storyboard tile for a picture of `display` size: its LONGER side bounded by
 * `longSide` (a 1920x1080 input gets 256x144 tiles, a portrait 1080x1920 one 144x256), never
 * upscaled, the aspect ratio kept to rounding, both sides even.
 */
export function tileSize(display: FrameSize, longSide: number): FrameSize {
  const landscape = display.width >= display.height;
  const long = landscape ? display.width : display.height;
  const short = landscape ? display.height : display.width;
  const outLong = evenFloor(Math.min(longSide, long));
  // Nearest even, but never past the source.
  const outShort = Math.min(evenFloor(short), Math.max(2, 2 * Math.round((short * outLong) / long / 2)));
  return landscape ? { width: outLong, height: outShort } : { width: outShort, height: outLong };
}

/**
 * One pass over the input: a pick every interval, scaled, tiled into one JPEG sprite
 * (`storyboard.jpg` in the output directory). The VTT file is written by the caller once ffmpeg
 * has succeeded, from the same {@link storyboardLayout}.
 */
export function storyboardArgs(req: TranscodeArgsInput, preset: StoryboardPreset): string[] {
  const layout = storyboardLayout(req.media, preset);
  const { tile } = layout;
  const filter = [
    // round=up: tile i is the last frame at or before i × interval (the one on screen then), so
    // tile 0 is the first frame; start_time=0 keeps that first pick when the video starts a little
    // after 0 (a stream behind its audio), which the filter would otherwise skip.
    `fps=1000/${layout.intervalMs}:start_time=0:round=up:eof_action=pass`,
    // A video stream shorter than the input (longer audio) runs out of picks before the last
    // tiles: its last pick fills them instead of the tile filter's black.
    `tpad=stop_mode=clone:stop=${layout.count}`,
    `scale=${tile.width}:${tile.height}`,
    'setsar=1',
    `tile=${layout.columns}x${layout.rows}:nb_frames=${layout.count}`,
  ].join(',');
  return [
    '-map',
    '0:v:0',
    '-an',
    '-vf',
    filter,
    '-frames:v',
    '1',
    '-q:v',
    '4',
    '-f',
    'image2',
    '-update',
    '1',
    `${req.output}/${STORYBOARD_SPRITE_FILE}`,
  ];
}

function evenFloor(n: number): number {
  return Math.max(2, 2 * Math.floor(n / 2));
}
