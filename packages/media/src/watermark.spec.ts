import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { getPreset } from '@kiln/jobs';
import { ffprobeJson, makeClip, makePng } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegMediaAdapter } from './ffmpeg-media.adapter.js';
import type { MediaInfo } from './media-info.js';
import { MediaProbeError } from './media.errors.js';
import { buildOneDecodeArgs } from './one-decode-args.js';
import { buildTranscodeArgs } from './transcode-args.js';
import { escapeFilterValue, placeWatermark, type WatermarkImage } from './watermark.js';

const run = promisify(execFile);

const MEDIA: MediaInfo = {
  durationSeconds: 10,
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  sizeBytes: 1000,
  bitRate: null,
  video: { codec: 'h264', width: 1280, height: 720, displayWidth: 1280, displayHeight: 720, fps: 25, rotation: 0 },
  audio: null,
  transcodable: true,
};

const MARK: WatermarkImage = {
  path: '/w/logo.png',
  width: 80,
  height: 40,
  corner: 'bottom-right',
  widthPercent: 20,
  marginPercent: 4,
  opacity: 1,
};

describe('placing a watermark', () => {
  it('sizes it by the share of the width asked and puts it in its corner, a margin from both edges', () => {
    expect(placeWatermark(MARK, MEDIA)).toEqual({
      path: '/w/logo.png',
      width: 256,
      height: 128,
      x: 1280 - 256 - 51,
      y: 720 - 128 - 51,
      opacity: 1,
    });
    expect(placeWatermark({ ...MARK, corner: 'top-left' }, MEDIA)).toMatchObject({ x: 51, y: 51 });
    expect(placeWatermark({ ...MARK, corner: 'top-right', marginPercent: 0 }, MEDIA)).toMatchObject({ x: 1024, y: 0 });
    expect(placeWatermark(MARK, { ...MEDIA, video: null })).toBeNull();
  });

  it('works in the frame as decoded: turned for a rotated input, rows of display width for non-square pixels', () => {
    // A phone video: 1920x1080 coded, shown 1080x1920 (ffmpeg turns the frames before the filters).
    const portrait = {
      ...MEDIA,
      video: {
        ...MEDIA.video!,
        width: 1920,
        height: 1080,
        displayWidth: 1080,
        displayHeight: 1920,
        rotation: 90 as const,
      },
    };
    expect(placeWatermark({ ...MARK, corner: 'bottom-left' }, portrait)).toEqual({
      path: MARK.path,
      width: 216,
      height: 108,
      x: 43,
      y: 1920 - 108 - 43,
      opacity: 1,
    });
    // Anamorphic DV: 720x576 shown 1024x576. 20 % of the columns; the height of 20 % of the shown width.
    const anamorphic = {
      ...MEDIA,
      video: { ...MEDIA.video!, width: 720, height: 576, displayWidth: 1024, displayHeight: 576 },
    };
    expect(placeWatermark(MARK, anamorphic)).toMatchObject({ width: 144, height: 102 });
  });

  it('escapes a file name at both of the filter graph levels', () => {
    expect(escapeFilterValue("/s/a b,c[1];d:e'f\\g.png")).toBe("/s/a b\\,c\\[1\\]\\;d\\\\:e\\\\\\'f\\\\\\\\g.png");
  });

  it('is laid over the decoded picture once, before the split every output scales from, and in -vf when alone', () => {
    const watermark = placeWatermark(MARK, MEDIA)!;
    const group = buildOneDecodeArgs({
      input: '/in.mp4',
      media: MEDIA,
      watermark,
      outputs: [
        { preset: getPreset('mp4-720p')!, output: '/o.mp4' },
        { preset: getPreset('thumbnails')!, output: '/thumbs' },
      ],
    });
    const graph = group[group.indexOf('-filter_complex') + 1]!;
    expect(graph).toMatch(
      /^movie=filename=\/w\/logo\.png,scale=256:128,format=rgba\[kwm\];\[0:v\]null\[kpre\];\[kpre\]\[kwm\]overlay=x=973:y=541:eof_action=repeat,split=2\[d0\]\[d1\];/,
    );
    expect(graph.match(/overlay/g)).toHaveLength(1);
    const alone = buildTranscodeArgs({
      input: '/in.mp4',
      output: '/o.mp4',
      preset: getPreset('mp4-360p')!,
      media: { ...MEDIA, video: { ...MEDIA.video!, interlaced: true } },
      watermark: { ...watermark, opacity: 0.5 },
    });
    expect(alone[alone.indexOf('-vf') + 1]).toBe(
      'movie=filename=/w/logo.png,scale=256:128,format=rgba,colorchannelmixer=aa=0.5[kwm];' +
        'bwdif=mode=send_frame:parity=auto:deint=all[kpre];[kpre][kwm]overlay=x=973:y=541:eof_action=repeat,scale=640:360,setsar=1',
    );
  });
});

/** The first frame of a video or image file as 8-bit luma, with its size. */
async function firstFrameLuma(file: string): Promise<{ width: number; height: number; luma: Buffer }> {
  const video = (await ffprobeJson(file)).streams.find((st) => st.codec_type === 'video')!;
  const width = video.width!;
  const height = video.height!;
  const raw = await run(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'],
    {
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return { width, height, luma: raw.stdout };
}

/** The mean luma of the rectangle [x0, x1) x [y0, y1) of a frame. */
function meanLuma(frame: { width: number; luma: Buffer }, x0: number, y0: number, x1: number, y1: number): number {
  let sum = 0;
  for (let y = Math.round(y0); y < Math.round(y1); y++)
    for (let x = Math.round(x0); x < Math.round(x1); x++) sum += frame.luma[y * frame.width + x]!;
  return sum / ((Math.round(x1) - Math.round(x0)) * (Math.round(y1) - Math.round(y0)));
}

describe('a watermark on real ffmpeg output', () => {
  let dir: string;
  let input: string;
  let logo: string;
  const media = new FfmpegMediaAdapter();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kiln-watermark-'));
    // A name with every character the filter graph gives a meaning to.
    const logoDir = path.join(dir, "logos, [a];b:c'd");
    await mkdir(logoDir);
    logo = path.join(logoDir, 'logo.png');
    const made = await Promise.all([
      makeClip({ seconds: 2, width: 1280, height: 720, audio: false, color: 'black' }),
      makePng({ width: 80, height: 40, color: 'white' }),
    ]);
    input = made[0];
    await copyFile(made[1], logo);
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Where the mark of {@link MARK} (bottom right, 20 % wide, 4 % margin) lands on a `width` wide output of the 1280x720 input. */
  const markAt = (width: number) => {
    const k = width / 1280;
    return { x0: 973 * k, y0: 541 * k, x1: (973 + 256) * k, y1: (541 + 128) * k };
  };

  it('shows on every output of a one-decode group, scaled with each, and nowhere else on the picture', async () => {
    const size = await media.probeImage(logo);
    expect(size).toEqual({ width: 80, height: 40 });
    const out = (name: string) => path.join(dir, name);
    await mkdir(out('hls'));
    await mkdir(out('thumbs'));
    const source = await media.open(input);
    const results = await source.transcodeGroup({
      outputs: [
        { preset: getPreset('mp4-720p')!, output: out('a.mp4') },
        { preset: getPreset('hls')!, output: out('hls') },
        { preset: getPreset('thumbnails')!, output: out('thumbs') },
      ],
      watermark: { ...MARK, path: logo, ...size },
      threads: 1,
    });
    await source.close();
    expect(results[0]).toMatchObject({ width: 1280, height: 720 });
    expect(results[0]!.durationSeconds).toBeCloseTo(2, 1);

    for (const file of [out('a.mp4'), out('hls/v0/index.m3u8'), out('hls/v2/index.m3u8'), out('thumbs/thumb-01.jpg')]) {
      const frame = await firstFrameLuma(file);
      const m = markAt(frame.width);
      const inset = 4;
      expect(meanLuma(frame, m.x0 + inset, m.y0 + inset, m.x1 - inset, m.y1 - inset), file).toBeGreaterThan(200);
      // Beside it, above it and the opposite corner stay black.
      expect(meanLuma(frame, m.x0 - 30 * (frame.width / 1280), m.y0, m.x0 - inset, m.y1), file).toBeLessThan(40);
      expect(meanLuma(frame, m.x0, m.y0 - 30 * (frame.width / 1280), m.x1, m.y0 - inset), file).toBeLessThan(40);
      expect(meanLuma(frame, 0, 0, frame.width / 4, frame.height / 4), file).toBeLessThan(40);
    }
  });

  it('is blended by its opacity in an output encoded alone', async () => {
    const output = path.join(dir, 'half.mp4');
    const source = await media.open(input);
    await source.transcode({
      preset: getPreset('mp4-360p')!,
      output,
      watermark: { ...MARK, path: logo, width: 80, height: 40, opacity: 0.5 },
      threads: 1,
    });
    await source.close();
    const frame = await firstFrameLuma(output);
    expect(frame.width).toBe(640);
    const m = markAt(640);
    const inside = meanLuma(frame, m.x0 + 4, m.y0 + 4, m.x1 - 4, m.y1 - 4);
    expect(inside).toBeGreaterThan(90);
    expect(inside).toBeLessThan(170);
  });

  it('refuses an image that is not a PNG, JPEG or WebP still, or is too large, naming why', async () => {
    const text = path.join(dir, 'notes.png');
    await writeFile(text, 'not an image');
    await expect(media.probeImage(text)).rejects.toThrow(MediaProbeError);
    await expect(media.probeImage(input)).rejects.toThrow(/not a PNG, JPEG or WebP image \(h264 found\)/);
    const huge = await makePng({ width: 5000, height: 16, color: 'white' });
    await expect(media.probeImage(huge)).rejects.toThrow(/5000x16; at most 4096 pixels a side/);
  });
});
