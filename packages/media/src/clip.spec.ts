import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { getPreset } from '@kiln/jobs';
import { ffprobeJson, makeClip } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegMediaAdapter } from './ffmpeg-media.adapter.js';

const run = promisify(execFile);

/**
 * PSNR (dB) between frame `outFrame` of `out` and frame `srcFrame` of `src`, the source scaled to
 * the output's size: the source frame an output frame was made from scores far above its neighbours.
 */
async function psnr(out: string, outFrame: number, src: string, srcFrame: number, size: string): Promise<number> {
  const graph =
    `[0:v]trim=start_frame=${outFrame}:end_frame=${outFrame + 1},setpts=PTS-STARTPTS[o];` +
    `[1:v]trim=start_frame=${srcFrame}:end_frame=${srcFrame + 1},setpts=PTS-STARTPTS,scale=${size},setsar=1[s];` +
    `[o][s]psnr`;
  const { stderr } = await run('ffmpeg', [
    '-hide_banner',
    '-nostats',
    '-i',
    out,
    '-i',
    src,
    '-filter_complex',
    graph,
    '-f',
    'null',
    '-',
  ]);
  const m = /average:(inf|[\d.]+)/.exec(stderr);
  if (!m) throw new Error(`no PSNR in: ${stderr.slice(-300)}`);
  return m[1] === 'inf' ? Infinity : Number(m[1]);
}

/** Which of the source frames `candidates` output frame `outFrame` was made from: the one it is closest to. */
async function madeFrom(
  out: string,
  outFrame: number,
  src: string,
  candidates: number[],
  size: string,
): Promise<number> {
  const scores = await Promise.all(candidates.map((c) => psnr(out, outFrame, src, c, size)));
  return candidates[scores.indexOf(Math.max(...scores))]!;
}

const frames = async (file: string) =>
  Number((await ffprobeJson(file)).streams.find((s) => s.codec_type === 'video')!.nb_frames);

describe('a clip of the input, encoded to the frame', () => {
  let dir: string;
  let src: string;
  const media = new FfmpegMediaAdapter();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kiln-clip-'));
    // 8 s at 25 fps: a new picture every frame (testsrc2 moves), keyframes at most every 250 frames
    // (x264's default), so the clip's start (frame 53, 2.12 s) is no keyframe.
    src = await makeClip({ seconds: 8, width: 640, height: 360 });
  }, 60_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'starts at the first frame at startSeconds and ends with the last before endSeconds, alone',
    { timeout: 120_000 },
    async () => {
      const source = await media.open(src);
      const out = path.join(dir, 'clip.mp4');
      const result = await source.transcode({
        output: out,
        preset: getPreset('mp4-360p')!,
        threads: 2,
        clip: { startSeconds: 2.12, endSeconds: 5.0 },
      });
      await source.close();
      // Frames 53 (2.12 s) up to 124 (4.96 s): 72 frames.
      expect(await frames(out)).toBe(72);
      expect(result.durationSeconds).toBeCloseTo(2.88, 1);
      expect(await madeFrom(out, 0, src, [52, 53, 54], '640:360')).toBe(53);
      expect(await madeFrom(out, 71, src, [123, 124, 125], '640:360')).toBe(124);
      const audio = (await ffprobeJson(out)).streams.find((s) => s.codec_type === 'audio')!;
      expect(Math.abs(Number(audio.duration) - 2.88)).toBeLessThan(0.05);
    },
  );

  it(
    'cuts every output of a one-decode command alike, and an end past the input runs to its end',
    { timeout: 120_000 },
    async () => {
      const source = await media.open(src);
      const group = path.join(dir, 'group');
      await mkdir(group, { recursive: true });
      const outputs = [
        { preset: getPreset('mp4-360p')!, output: path.join(group, 'a.mp4') },
        { preset: getPreset('webm-720p')!, output: path.join(group, 'b.webm') },
        { preset: getPreset('thumbnails')!, output: path.join(group, 'thumbs') },
      ];
      const results = await source.transcodeGroup({ outputs, threads: 2, clip: { startSeconds: 6, endSeconds: 60 } });
      await source.close();
      expect(await frames(outputs[0]!.output)).toBe(50);
      expect(await madeFrom(outputs[0]!.output, 0, src, [149, 150, 151], '640:360')).toBe(150);
      expect(Number((await ffprobeJson(outputs[1]!.output)).format.duration)).toBeCloseTo(2, 1);
      for (const r of results) expect(r.durationSeconds).toBeCloseTo(2, 1);
    },
  );

  it('refuses a clip that starts past the end of the input', async () => {
    const source = await media.open(src);
    const err = await source
      .transcode({
        output: path.join(dir, 'x.mp4'),
        preset: getPreset('mp4-360p')!,
        clip: { startSeconds: 9, endSeconds: 10 },
      })
      .catch((e: unknown) => e);
    await source.close();
    expect(err).toBeInstanceOf(TypeError);
  });
});
