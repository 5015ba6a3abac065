import { readFile } from 'node:fs/promises';

/** What the RIFF chunks of an animated WebP say: ffprobe 5.1's WebP decoder does not read animations. */
export interface WebpAnimation {
  /** The canvas size, from the `VP8X` chunk. */
  width: number;
  height: number;
  /** The `VP8X` animation flag. */
  animated: boolean;
  /** `ANIM`'s loop count: 0 loops for ever. Null without an `ANIM` chunk. */
  loopCount: number | null;
  /** Each `ANMF` frame's duration in milliseconds, in order. */
  frameDurationsMs: number[];
}

const u24 = (b: Buffer, at: number) => b.readUIntLE(at, 3);

/**
 * Reads the RIFF chunks of a WebP file: `VP8X` (canvas, animation flag), `ANIM` (loop count) and
 * every `ANMF` (frame duration). Throws when the file is not an extended WebP.
 */
export async function readWebpAnimation(file: string): Promise<WebpAnimation> {
  const bytes = await readFile(file);
  if (bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WEBP')
    throw new Error(`${file} is not a WebP file`);
  let vp8x: { width: number; height: number; animated: boolean } | undefined;
  let loopCount: number | null = null;
  const frameDurationsMs: number[] = [];
  for (let pos = 12; pos + 8 <= bytes.length;) {
    const type = bytes.toString('latin1', pos, pos + 4);
    const size = bytes.readUInt32LE(pos + 4);
    const data = pos + 8;
    if (type === 'VP8X')
      vp8x = {
        animated: (bytes[data]! & 0x02) !== 0,
        width: u24(bytes, data + 4) + 1,
        height: u24(bytes, data + 7) + 1,
      };
    else if (type === 'ANIM') loopCount = bytes.readUInt16LE(data + 4);
    else if (type === 'ANMF') frameDurationsMs.push(u24(bytes, data + 12));
    // Chunks are padded to an even size.
    pos = data + size + (size % 2);
  }
  if (!vp8x) throw new Error(`${file} has no VP8X chunk: not an extended (animated) WebP`);
  return { ...vp8x, loopCount, frameDurationsMs };
}
