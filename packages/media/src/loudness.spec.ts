import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { getPreset } from '@kiln/jobs';
import { integratedLufs } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegMediaAdapter } from './ffmpeg-media.adapter.js';
import { loudnessFilter, parseLoudnormJson, type LoudnessPlan } from './loudness.js';
import type { MediaInfo } from './media-info.js';
import { buildTranscodeArgs, loudnessMeasureArgs } from './transcode-args.js';

const run = promisify(execFile);

/** The loudnorm block ffmpeg 5.1 prints at the end of a first pass (values as strings, -inf for silence). */
const BLOCK = `[Parsed_loudnorm_0 @ 0x55d0c8a3c0c0]
{
	"input_i" : "-31.42",
	"input_tp" : "-14.04",
	"input_lra" : "2.60",
	"input_thresh" : "-41.52",
	"output_i" : "-16.06",
	"output_tp" : "-1.50",
	"output_lra" : "1.90",
	"output_thresh" : "-26.11",
	"normalization_type" : "dynamic",
	"target_offset" : "0.06"
}
[out#0/null @ 0x55d0c8a2a7c0] video:0kB audio:1kB`;

const MEDIA: MediaInfo = {
  durationSeconds: 10,
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  sizeBytes: 1000,
  bitRate: null,
  video: { codec: 'h264', width: 320, height: 240, displayWidth: 320, displayHeight: 240, fps: 25, rotation: 0 },
  audio: { codec: 'aac', channels: 6, sampleRate: 44100 },
  transcodable: true,
};

describe('the loudness passes, as arguments', () => {
  it("reads the first pass's measurement, -inf (silence) as -Infinity, and nothing from output without one", () => {
    expect(parseLoudnormJson(BLOCK)).toEqual({
      inputI: -31.42,
      inputTp: -14.04,
      inputLra: 2.6,
      inputThresh: -41.52,
      targetOffset: 0.06,
    });
    expect(parseLoudnormJson(BLOCK.replace('"-31.42"', '"-inf"'))?.inputI).toBe(-Infinity);
    expect(parseLoudnormJson('[out#0/null] video:0kB')).toBeNull();
    expect(parseLoudnormJson('{ "input_i" : "-20" ')).toBeNull();
  });

  it('measures the downmix of the range the outputs read, and applies one gain at the input rate (Opus: 48 kHz)', () => {
    const target = { targetLufs: -16, truePeakDb: -1.5 };
    const measure = loudnessMeasureArgs({
      input: '/in.mp4',
      media: MEDIA,
      range: { startSeconds: 2, durationSeconds: 3 },
      target,
    });
    expect(measure.slice(measure.indexOf('-ss'), measure.indexOf('-ss') + 4)).toEqual(['-ss', '2.000', '-t', '3.000']);
    expect(measure[measure.indexOf('-loglevel') + 1]).toBe('info');
    expect(measure[measure.indexOf('-af') + 1]).toBe(
      'aformat=channel_layouts=stereo,loudnorm=I=-16:TP=-1.5:LRA=11:print_format=json',
    );
    expect(measure.slice(-3)).toEqual(['-f', 'null', '-']);

    const plan: LoudnessPlan = { ...target, measured: parseLoudnormJson(BLOCK)! };
    const mp4 = buildTranscodeArgs({
      input: '/in.mp4',
      output: '/o.mp4',
      preset: getPreset('mp4-360p')!,
      media: MEDIA,
      loudness: plan,
    });
    expect(mp4[mp4.indexOf('-af') + 1]).toBe(
      'aformat=channel_layouts=stereo,loudnorm=I=-16:TP=-1.5:LRA=11:measured_I=-31.42:measured_TP=-14.04:' +
        'measured_LRA=2.6:measured_thresh=-41.52:offset=0.06:linear=true:print_format=none,aresample=44100,aformat=channel_layouts=stereo',
    );
    const webm = buildTranscodeArgs({
      input: '/in.mp4',
      output: '/o.webm',
      preset: getPreset('webm-720p')!,
      media: MEDIA,
      loudness: plan,
    });
    expect(webm[webm.indexOf('-af') + 1]).toMatch(/,aresample=48000,aformat=channel_layouts=stereo$/);
    // Without a plan, or for silence, the audio is as before.
    expect(
      buildTranscodeArgs({ input: '/in.mp4', output: '/o.mp4', preset: getPreset('mp4-360p')!, media: MEDIA }),
    ).not.toContain('-af');
    expect(loudnessFilter({ ...plan, measured: { ...plan.measured, inputI: -Infinity } }, MEDIA, 48000)).toBeNull();
  });
});

describe('loudness normalisation on real ffmpeg', () => {
  let dir: string;
  let quiet: string;
  let surround: string;
  const media = new FfmpegMediaAdapter();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kiln-loudness-'));
    quiet = path.join(dir, 'quiet.mp4');
    surround = path.join(dir, 'surround.mp4');
    const video = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15:duration=10'];
    const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k'];
    // Speech-like level changes, mono: pink noise whose volume steps every second, well under -16 LUFS.
    const noise = 'anoisesrc=color=pink:amplitude=0.06:duration=10:seed=7,volume=0.4+0.3*mod(floor(t)\\,3):eval=frame';
    await Promise.all([
      run('ffmpeg', ['-v', 'error', '-y', ...video, '-f', 'lavfi', '-i', noise, ...x264, '-shortest', quiet]),
      run('ffmpeg', [
        '-v',
        'error',
        '-y',
        ...video,
        '-f',
        'lavfi',
        '-i',
        `${noise},aformat=channel_layouts=5.1`,
        ...x264,
        '-shortest',
        surround,
      ]),
    ]);
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('brings a quiet input to within 1 LU of the target in a one-decode group and alone, the measurement made once', async () => {
    const loud = { targetLufs: -16, truePeakDb: -1.5 };
    const before = await integratedLufs(quiet);
    expect(before).toBeLessThan(-24);
    const out = (name: string) => path.join(dir, name);
    await mkdir(out('hls'));
    const source = await media.open(quiet);
    let measured = 0;
    const measure = media.measureLoudness.bind(media);
    media.measureLoudness = (req) => {
      measured++;
      return measure(req);
    };
    await source.transcodeGroup({
      outputs: [
        { preset: getPreset('mp4-360p')!, output: out('a.mp4') },
        { preset: getPreset('hls')!, output: out('hls') },
      ],
      loudness: loud,
      threads: 1,
    });
    await source.transcode({ preset: getPreset('webm-720p')!, output: out('b.webm'), loudness: loud, threads: 1 });
    await source.close();

    expect(measured).toBe(1);
    for (const file of [out('a.mp4'), out('hls/v0/index.m3u8'), out('b.webm')])
      expect(Math.abs((await integratedLufs(file)) - loud.targetLufs), file).toBeLessThanOrEqual(1);
  });

  it('normalises a 5.1 input as the stereo downmix its outputs carry, to another target', async () => {
    const out = path.join(dir, 'surround-360.mp4');
    const source = await media.open(surround);
    await source.transcode({
      preset: getPreset('mp4-360p')!,
      output: out,
      loudness: { targetLufs: -23, truePeakDb: -2 },
      threads: 1,
    });
    await source.close();
    expect(Math.abs((await integratedLufs(out)) + 23)).toBeLessThanOrEqual(1);
  });
});
