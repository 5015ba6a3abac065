import fc from 'fast-check';
import { getPreset } from '@kiln/jobs';
import { describe, expect, it } from 'vitest';
import {
  alignedChunkSeconds,
  buildChunkArgs,
  concatList,
  isChunkable,
  parseScan,
  planChunks,
  type FrameScan,
} from './chunk-args.js';

const scanOf = (pts: number[], den = 12_288, num = 1): FrameScan => ({ timeBase: { num, den }, startSeconds: 0, pts });
/** Frames `fps` a second for `seconds`, in a 1/12288 time base. */
const cfr = (seconds: number, fps = 12) =>
  scanOf(Array.from({ length: seconds * fps }, (_, i) => Math.round((i * 12_288) / fps)));

describe('planChunks', () => {
  it('starts a chunk at the first frame at or after each multiple of the chunk length', () => {
    const chunks = planChunks(cfr(60), 20);
    expect(chunks.map((c) => [c.startSeconds, c.endSeconds, c.frames])).toEqual([
      [0, 20, 240],
      [20, 40, 240],
      [40, 60, 240],
    ]);
    expect(chunks[2]!.endPts).toBeNull();
    expect(chunks.map((c) => c.seekSeconds)).toEqual([0, 19, 39]);
  });

  it('joins a last chunk shorter than half a chunk to the one before', () => {
    expect(planChunks(cfr(65), 20).map((c) => c.frames)).toEqual([240, 240, 300]);
    expect(planChunks(cfr(72), 20).map((c) => c.frames)).toEqual([240, 240, 240, 144]);
  });

  it('partitions any frame list: every frame in exactly one chunk, in order, none empty', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 50_000 }), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 1, max: 30 }),
        (gaps, chunkSeconds) => {
          const pts = gaps.reduce<number[]>((acc, g) => [...acc, (acc.at(-1) ?? 0) + g], []);
          const chunks = planChunks(scanOf(pts), chunkSeconds);
          expect(chunks.reduce((n, c) => n + c.frames, 0)).toBe(pts.length);
          expect(chunks[0]!.startPts).toBe(pts[0]);
          for (const [i, c] of chunks.entries()) {
            expect(c.frames).toBeGreaterThan(0);
            const inside = pts.filter((p) => p >= c.startPts && (c.endPts === null || p < c.endPts));
            expect(inside.length).toBe(c.frames);
            if (i > 0) expect(c.startPts).toBe(chunks[i - 1]!.endPts);
          }
        },
      ),
    );
  });
});

describe('isChunkable', () => {
  it('chunks H.264 MP4 and HLS only: a storyboard, a preview and thumbnails are encoded whole', () => {
    for (const id of ['mp4-720p', 'hls']) expect(isChunkable(getPreset(id)!)).toBe(true);
    for (const id of ['storyboard', 'preview', 'thumbnails', 'webm-720p', 'mp4-av1-720p', 'audio-aac'])
      expect(isChunkable(getPreset(id)!)).toBe(false);
  });
});

describe('alignedChunkSeconds', () => {
  it('rounds the chunk length to whole HLS segments when HLS is among the presets', () => {
    expect(alignedChunkSeconds([getPreset('mp4-720p')!], 18)).toBe(18);
    expect(alignedChunkSeconds([getPreset('mp4-720p')!, getPreset('hls')!], 18)).toBe(20);
    expect(alignedChunkSeconds([getPreset('hls')!], 1)).toBe(4);
  });
});

describe('parseScan', () => {
  it('reads the time base and start, leaves discarded packets out and sorts by pts', () => {
    const out =
      'pts=1024|flags=__\npts=0|flags=K_\npts=-512|flags=_D\npts=N/A|flags=__\ntime_base=1/12288\nstart_time=0.5\n';
    expect(parseScan(out)).toEqual({ timeBase: { num: 1, den: 12_288 }, startSeconds: 0.5, pts: [0, 1024] });
  });
});

describe('buildChunkArgs and concatList', () => {
  it("cuts exactly by pts after a seek that lands before the chunk, and keeps each chunk's exact length", () => {
    const [, chunk] = planChunks(cfr(60), 20);
    const rendition = {
      key: 'mp4-360p',
      size: { width: 160, height: 120 },
      crf: 25,
      maxrateKbps: 900,
      x264Preset: 'veryfast',
    };
    const args = buildChunkArgs({
      input: '/in.mp4',
      chunk: chunk!,
      renditions: [{ ...rendition, keyframeSeconds: null, output: '/c.mp4' }],
    });
    expect(args.join(' ')).toContain('-copyts -noaccurate_seek -ss 19.000000 -i file:/in.mp4');
    expect(args.join(' ')).toContain('trim=start_pts=245760:end_pts=491520,setpts=PTS-STARTPTS');
    expect(concatList(["/a/it's.mp4", '/b.mp4'], planChunks(cfr(40), 20))).toBe(
      "ffconcat version 1.0\nfile '/a/it'\\''s.mp4'\nduration 20.000000\nfile '/b.mp4'\n",
    );
  });
});
