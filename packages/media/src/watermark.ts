import type { MediaInfo } from './media-info.js';

/** The corner of the picture a watermark sits in. */
export type WatermarkCorner = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';

/** A job's watermark (`POST /v1/jobs`' `watermark`) with its image fetched to a local file and probed. */
export interface WatermarkImage {
  /** The local image file (PNG, JPEG or WebP; PNG and WebP may be transparent). */
  path: string;
  /** The image's own size, pixels. */
  width: number;
  height: number;
  corner: WatermarkCorner;
  /** The watermark's width as a share of the picture's width, percent. */
  widthPercent: number;
  /** The distance from the picture's edges, as a share of its width, percent. */
  marginPercent: number;
  /** 0 (invisible) to 1 (as the image is). */
  opacity: number;
}

/**
 * A watermark placed on one input's frames, in that input's pixels (after rotation, before any
 * scaling): every output scales the watermarked picture to its own size, so the mark keeps its
 * share of the picture on every rung of a ladder.
 */
export interface WatermarkOverlay {
  path: string;
  width: number;
  height: number;
  x: number;
  y: number;
  opacity: number;
}

/** The largest image a watermark may be, per side, pixels. */
export const WATERMARK_MAX_SIDE = 4096;

/**
 * Where `mark` goes on `media`'s frames; null without video. Sizes are in the decoded frame's
 * pixels: with non-square pixels, the width is the share of the pixel columns and the height of the
 * display width's share (rows are square to the display), so the mark keeps its own aspect once
 * the output is scaled to square pixels.
 */
export function placeWatermark(mark: WatermarkImage, media: MediaInfo): WatermarkOverlay | null {
  const video = media.video;
  if (!video) return null;
  const turned = video.rotation === 90 || video.rotation === 270;
  const frameWidth = turned ? video.height : video.width;
  const frameHeight = turned ? video.width : video.height;
  const share = mark.widthPercent / 100;
  const width = Math.min(frameWidth, even(frameWidth * share));
  const height = Math.min(frameHeight, even(((video.displayWidth * share) / mark.width) * mark.height));
  const marginX = Math.round((frameWidth * mark.marginPercent) / 100);
  const marginY = Math.round((video.displayWidth * mark.marginPercent) / 100);
  const left = mark.corner.endsWith('left');
  const top = mark.corner.startsWith('top');
  return {
    path: mark.path,
    width,
    height,
    x: Math.max(0, left ? marginX : frameWidth - width - marginX),
    y: Math.max(0, top ? marginY : frameHeight - height - marginY),
    opacity: mark.opacity,
  };
}

/**
 * A filter graph that takes the chain `pre` (ending on the decoded, deinterlaced or tone-mapped
 * frame) through the watermark, continuing with `rest`: the image is read by the `movie` source
 * (so every command shape, `-vf` or `-filter_complex`, keeps one video input), scaled, given its
 * opacity, and laid over every frame (`eof_action=repeat`: the one image stays for the whole video).
 */
export function watermarkGraph(mark: WatermarkOverlay, pre: string, rest: string): string {
  const image =
    `movie=filename=${escapeFilterValue(mark.path)},scale=${mark.width}:${mark.height},format=rgba` +
    (mark.opacity < 1 ? `,colorchannelmixer=aa=${mark.opacity}` : '');
  return `${image}[kwm];${pre}[kpre];[kpre][kwm]overlay=x=${mark.x}:y=${mark.y}:eof_action=repeat,${rest}`;
}

/**
 * `value` escaped for a filter option inside a filter graph (ffmpeg's two levels: the option
 * value's `\ ' :`, then the graph's `\ ' [ ] , ;`), so any file name reaches the filter as it is.
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\':]/g, '\\$&').replace(/[\\'[\],;]/g, '\\$&');
}

function even(n: number): number {
  return Math.max(2, 2 * Math.round(n / 2));
}
