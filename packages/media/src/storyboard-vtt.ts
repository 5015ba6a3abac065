import type { StoryboardLayout } from './storyboard-args.js';

/**
 * The WebVTT file of a storyboard: one cue per tile, from its time to the next tile's (the last
 * one to the end of the input), each naming its place in the sprite as a media fragment
 * (`storyboard.jpg#xywh=x,y,w,h`), the form JW Player, Video.js thumbnails and Mux use. The cues
 * cover the whole duration without gaps or overlaps. `spriteFile` is relative to the VTT file.
 */
export function storyboardVtt(layout: StoryboardLayout, spriteFile: string): string {
  const { tile } = layout;
  const cues = Array.from({ length: layout.count }, (_, i) => {
    const start = i * layout.intervalMs;
    const end = Math.min(start + layout.intervalMs, layout.durationMs);
    const x = (i % layout.columns) * tile.width;
    const y = Math.floor(i / layout.columns) * tile.height;
    return `${vttTimestamp(start)} --> ${vttTimestamp(end)}\n${spriteFile}#xywh=${x},${y},${tile.width},${tile.height}\n`;
  });
  return ['WEBVTT\n', ...cues].join('\n');
}

/** A WebVTT timestamp, `HH:MM:SS.mmm` (hours grow past two digits when they must), of whole milliseconds. */
export function vttTimestamp(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor(total / 60_000) % 60;
  const seconds = Math.floor(total / 1000) % 60;
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(total % 1000, 3)}`;
}
