import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { getPreset, type Preset } from '@kiln/jobs';
import { FfmpegMediaAdapter } from '@kiln/media';
import { countFrames, ffprobeJson, streamDurations } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegChunkMedia } from './chunk-media.adapter.js';

const run = promisify(execFile);
const ffmpeg = new FfmpegMediaAdapter();
const chunkMedia = new FfmpegChunkMedia(ffmpeg);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kiln-chunk-media-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An input made by ffmpeg from lavfi sources (12 fps, with a sine track), `extra` options before the file. */
async function makeInput(
  name: string,
  seconds: number,
  video: string[],
  opts: { size?: string } = {},
): Promise<string> {
  const file = path.join(dir, name);
  const size = opts.size ?? '160x120';
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${size}:rate=12:duration=${seconds}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:duration=${seconds}`,
    ...video,
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    file,
  ]);
  return file;
}

/** Encodes `input` chunk by chunk (one after another, as different workers would), then stitches each preset. */
async function chunked(input: string, presetIds: string[], chunkSeconds = 20) {
  const presets = presetIds.map((id) => getPreset(id)!) as Preset[];
  const media = await ffmpeg.probe(input);
  const plan = await chunkMedia.plan(input, media, { presets, chunkSeconds });
  const work = await mkdtemp(path.join(dir, 'work-'));
  const signal = new AbortController().signal;
  const files: Record<string, string[]> = Object.fromEntries(plan.renditions.map((r) => [r, []]));
  for (const chunk of plan.chunks) {
    const outputs = Object.fromEntries(plan.renditions.map((r) => [r, path.join(work, `c${chunk.index}-${r}.mp4`)]));
    await chunkMedia.encodeChunk({ input, media, presets, chunk, outputs, threads: 2, signal, onProgress: () => {} });
    for (const r of plan.renditions) files[r]!.push(outputs[r]!);
  }
  const audio: Record<number, string> = {};
  for (const kbps of chunkMedia.audioBitrates(presets, media)) {
    audio[kbps] = path.join(work, `audio-${kbps}.m4a`);
    const req = { input, media, kbps, output: audio[kbps], threads: 2, signal };
    await chunkMedia.encodeAudio({ ...req, videoStartSeconds: plan.videoStartSeconds });
  }
  const outputs: Record<string, string> = {};
  for (const preset of presets) {
    const output = path.join(work, preset.kind === 'hls' ? preset.id : `${preset.id}.mp4`);
    if (preset.kind === 'hls') await mkdir(output);
    await chunkMedia.stitch({ preset, media, chunks: plan.chunks, files, audio, output, workDir: work, signal });
    outputs[preset.id] = output;
  }
  return { plan, outputs, media };
}

/** The same preset encoded whole, as a job shorter than KILN_CHUNK_MIN_S is. */
async function whole(input: string, presetId: string): Promise<string> {
  const output = path.join(dir, `whole-${path.basename(input)}-${presetId}.mp4`);
  await ffmpeg.transcode({ input, output, preset: getPreset(presetId)!, media: await ffmpeg.probe(input) });
  return output;
}

/** Checks what every chunked MP4 must be: the input's frames, durations within one frame, A/V in sync. */
async function expectWhole(output: string, input: string): Promise<void> {
  const frame = 1 / 12 + 1e-6;
  expect(await countFrames(output)).toBe(await countFrames(input));
  const out = await streamDurations(output);
  const src = await streamDurations(input);
  expect(Math.abs(out.video - src.video)).toBeLessThanOrEqual(frame);
  expect(Math.abs(out.audio! - out.video)).toBeLessThanOrEqual(frame);
}

describe('FfmpegChunkMedia', () => {
  it(
    'a 4-minute input with a keyframe only every 15 s: chunks cut between keyframes, output frame-exact',
    { timeout: 180_000 },
    async () => {
      const input = await makeInput('sparse.mp4', 240, [
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-x264-params',
        'keyint=180:min-keyint=180:scenecut=0',
      ]);
      const { plan, outputs } = await chunked(input, ['mp4-360p']);
      expect(plan.chunks).toHaveLength(12);
      // Chunks start every 20 s, keyframes every 15 s: most cuts are not at a keyframe.
      expect(plan.chunks.filter((c) => c.startSeconds % 15 !== 0).length).toBeGreaterThan(5);
      await expectWhole(outputs['mp4-360p']!, input);
    },
  );

  it('an open-GOP input with B-frames is frame-exact', { timeout: 120_000 }, async () => {
    const input = await makeInput('open-gop.mp4', 60, [
      '-c:v',
      'libx264',
      '-preset',
      'fast',
      '-x264-params',
      'open_gop=1:keyint=30:bframes=3:scenecut=0',
    ]);
    const { outputs } = await chunked(input, ['mp4-360p']);
    await expectWhole(outputs['mp4-360p']!, input);
  });

  it('a variable-frame-rate input keeps its every frame and timestamp', { timeout: 120_000 }, async () => {
    // Frames 1/12 s apart, every third one 40 ms late: no two gaps in a row alike.
    const input = await makeInput('vfr.mp4', 60, [
      '-vf',
      "setpts='(N/12 + if(eq(mod(N,3),1), 0.04, 0))/TB'",
      '-fps_mode',
      'vfr',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
    ]);
    const { outputs } = await chunked(input, ['mp4-360p']);
    const out = outputs['mp4-360p']!;
    await expectWhole(out, input);
    const times = async (file: string) =>
      (
        await run('ffprobe', [
          '-v',
          'error',
          '-select_streams',
          'v:0',
          '-show_entries',
          'packet=pts_time',
          '-of',
          'csv=p=0',
          file,
        ])
      ).stdout
        .trim()
        .split('\n')
        .map(Number)
        .sort((a, b) => a - b);
    const [a, b] = [await times(out), await times(input)];
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - a[0]! - (b[i]! - b[0]!))).toBeLessThan(0.002);
  });

  it('rotated and anamorphic inputs come out at the size of the whole encode', { timeout: 120_000 }, async () => {
    const plain = await makeInput(
      'anamorphic.mp4',
      45,
      ['-vf', 'setsar=4/3', '-c:v', 'libx264', '-preset', 'ultrafast'],
      {
        size: '320x240',
      },
    );
    const rotated = path.join(dir, 'rotated.mp4');
    await run('ffmpeg', ['-v', 'error', '-y', '-i', plain, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated]);
    for (const input of [plain, rotated]) {
      const { outputs } = await chunked(input, ['mp4-360p']);
      const size = async (file: string) => {
        const v = (await ffprobeJson(file)).streams.find((s) => s.codec_type === 'video')!;
        return `${v.width}x${v.height}`;
      };
      expect(await size(outputs['mp4-360p']!)).toBe(await size(await whole(input, 'mp4-360p')));
      await expectWhole(outputs['mp4-360p']!, input);
    }
  });

  it(
    'HLS: a ladder assembled from the chunks, segments on chunk boundaries, a real BANDWIDTH',
    { timeout: 120_000 },
    async () => {
      const input = await makeInput('ladder.mp4', 60, ['-c:v', 'libx264', '-preset', 'ultrafast'], { size: '854x480' });
      const { plan, outputs } = await chunked(input, ['hls'], 18);
      // 18 s rounds to whole 4 s segments: 20 s chunks.
      expect(plan.chunks.map((c) => c.startSeconds)).toEqual([0, 20, 40]);
      const dirOf = outputs.hls!;
      const master = await readFile(path.join(dirOf, 'master.m3u8'), 'utf8');
      const bandwidths = [...master.matchAll(/BANDWIDTH=(\d+)/g)].map((m) => Number(m[1]));
      expect(bandwidths).toHaveLength(2);
      for (const [i, rung] of ['v0', 'v1'].entries()) {
        const playlist = await readFile(path.join(dirOf, rung, 'index.m3u8'), 'utf8');
        const durations = [...playlist.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
        expect(durations).toHaveLength(15);
        for (const d of durations) expect(d).toBeCloseTo(4, 1);
        expect(await countFrames(path.join(dirOf, rung, 'index.m3u8'))).toBe(await countFrames(input));
        // The peak segment bit rate, not the muxer's guess from a copied stream.
        expect(bandwidths[i]).toBeGreaterThan(64_000);
      }
    },
  );
});
