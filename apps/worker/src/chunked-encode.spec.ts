import { getPreset, type Preset } from '@kiln/jobs';
import type { MediaInfo } from '@kiln/media';
import { describe, expect, it } from 'vitest';
import { ChunkedEncode, chunkSecondsFor, type ChunkedEncodeDeps } from './chunked-encode.js';
import type { PlannedOutput } from './encode-run.js';

const info = (width: number, height: number, fps: number, durationSeconds: number): MediaInfo => ({
  durationSeconds,
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  sizeBytes: 1,
  bitRate: null,
  video: { codec: 'h264', width, height, displayWidth: width, displayHeight: height, fps, rotation: 0 },
  audio: null,
  transcodable: true,
});

describe('how long chunks are', () => {
  it('keeps KILN_CHUNK_SECONDS for a picture that fills a chunk, and lengthens chunks of a small or slow one', () => {
    expect(chunkSecondsFor(info(1280, 720, 30, 600), 20)).toBe(20);
    expect(chunkSecondsFor(info(854, 480, 12, 600), 20)).toBe(20);
    // 320x240 at 12 fps: 25 M pixel-frames take 27 s.
    expect(chunkSecondsFor(info(320, 240, 12, 600), 20)).toBeCloseTo(27.13, 2);
    expect(chunkSecondsFor(info(128, 72, 4, 1800), 20)).toBeCloseTo(678.17, 2);
  });

  it('encodes a long input of a tiny picture whole: it would not make two chunks worth their cost', () => {
    const chunked = new ChunkedEncode({
      minSeconds: 120,
      chunkSeconds: 20,
      media: { isChunkable: (p: Preset) => p.kind === 'mp4' },
    } as unknown as ChunkedEncodeDeps);
    const planned = [{ index: 0, preset: getPreset('mp4-360p')! }] as PlannedOutput[];
    expect(chunked.chunkable(planned, info(854, 480, 12, 180))).toEqual(planned);
    expect(chunked.chunkable(planned, info(128, 72, 4, 900))).toEqual([]);
    expect(chunked.chunkable(planned, info(128, 72, 4, 1800))).toEqual(planned);
    expect(chunked.chunkable(planned, info(854, 480, 12, 100))).toEqual([]);
  });
});
