/** One cue of a storyboard VTT file: its time range and the tile of the sprite it names. */
export interface StoryboardCue {
  startMs: number;
  endMs: number;
  /** The image the cue names, as written (relative to the VTT file). */
  file: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

const TIMESTAMP = /^(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})$/;
const TARGET = /^([^#\s]+)#xywh=(\d+),(\d+),(\d+),(\d+)$/;

/** Milliseconds of a WebVTT `HH:MM:SS.mmm` timestamp; throws on anything else. */
export function parseVttTimestamp(text: string): number {
  const m = TIMESTAMP.exec(text);
  if (!m) throw new Error(`not a WebVTT timestamp: ${JSON.stringify(text)}`);
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]);
}

/**
 * The cues of a storyboard WebVTT file (`WEBVTT`, then blocks of `start --> end` and
 * `image#xywh=x,y,w,h` separated by blank lines), read strictly: anything else throws, so a test
 * that reads a file back also checks its syntax.
 */
export function parseStoryboardVtt(text: string): StoryboardCue[] {
  const [header, ...blocks] = text.trimEnd().split('\n\n');
  if (header !== 'WEBVTT') throw new Error(`not a WebVTT file: it starts ${JSON.stringify(header?.slice(0, 20))}`);
  return blocks.map((block) => {
    const lines = block.split('\n');
    const timing = /^(\S+) --> (\S+)$/.exec(lines[0] ?? '');
    const target = TARGET.exec(lines[1] ?? '');
    if (lines.length !== 2 || !timing || !target) throw new Error(`not a storyboard cue: ${JSON.stringify(block)}`);
    return {
      startMs: parseVttTimestamp(timing[1]!),
      endMs: parseVttTimestamp(timing[2]!),
      file: target[1]!,
      x: Number(target[2]),
      y: Number(target[3]),
      w: Number(target[4]),
      h: Number(target[5]),
    };
  });
}
