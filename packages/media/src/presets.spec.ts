import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyOutputSettings, getPreset, type Preset } from '@kiln/jobs';
import { ffprobeJson, makeClip, type ProbeJson } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transcode } from './ffmpeg-transcode.adapter.js';
import { probe } from './ffprobe.adapter.js';
import { outputTooSmall } from './transcode-args.js';
import { MediaProbeError } from './media.errors.js';

/** Top-level MP4 box types in file order (fast start = `moov` before `mdat`); the file is small. */
async function topLevelBoxes(file: string): Promise<string[]> {
  const bytes = await readFile(file);
  const types: string[] = [];
  for (let pos = 0; pos + 8 <= bytes.length;) {
    const len = bytes.readUInt32BE(pos);
    types.push(bytes.toString('latin1', pos + 4, pos + 8));
    if (len < 8) break;
    pos += len;
  }
  return types;
}

const streamOf = (probed: ProbeJson, type: 'video' | 'audio') => probed.streams.find((s) => s.codec_type === type);

describe('every preset, checked with ffprobe', () => {
  let dir: string;
  let hd: string;
  let sd: string;
  let silent: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-presets-'));
    [hd, sd, silent] = await Promise.all([
      makeClip({ seconds: 5, width: 1280, height: 720 }),
      makeClip({ seconds: 2, width: 640, height: 480 }),
      makeClip({ seconds: 2, width: 480, height: 272, audio: false }),
    ]);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const encode = async (input: string, id: string, out: string) => {
    const media = await probe(input);
    const preset = getPreset(id) as Preset;
    const result = await transcode({ input, output: join(dir, out), preset, media, threads: 2 });
    return { media, result, output: join(dir, out) };
  };

  it('output settings: height bound, CRF, peak, frame-rate cap and audio rate, as ffprobe sees them', async () => {
    const input = await makeClip({ seconds: 3, width: 1280, height: 720, fps: 50 });
    const media = await probe(input);
    const settings = { maxHeight: 360, crf: 30, peakKbps: 400, maxFps: 25, audioKbps: 64 };
    const preset = applyOutputSettings(getPreset('mp4-720p')!, settings);
    const output = join(dir, 'settings.mp4');
    const result = await transcode({ input, output, preset, media, threads: 2 });
    expect(result).toMatchObject({ width: 640, height: 360 });
    const out = await ffprobeJson(output);
    const video = streamOf(out, 'video') as Record<string, unknown>;
    expect(video).toMatchObject({ codec_name: 'h264', width: 640, height: 360, avg_frame_rate: '25/1' });
    expect(Number(video.nb_frames)).toBe(75);
    // AAC's rate control lands near the asked rate; the default for mp4-720p is 128.
    expect(Number(streamOf(out, 'audio')!.bit_rate) / 1000).toBeGreaterThan(48);
    expect(Number(streamOf(out, 'audio')!.bit_rate) / 1000).toBeLessThan(80);
    // The same clip at the preset's own CRF 23 is larger: CRF 30 took effect.
    const plain = join(dir, 'settings-plain.mp4');
    const lower = applyOutputSettings(getPreset('mp4-720p')!, { ...settings, crf: 23 });
    await transcode({ input, output: plain, preset: lower, media, threads: 2 });
    expect(Number((await ffprobeJson(plain)).format.size)).toBeGreaterThan(Number(out.format.size));
  });

  it('mp4-av1-720p: AV1 yuv420p + AAC in a fast-start MP4, scaled down to 720p, same duration', async () => {
    const input = await makeClip({ seconds: 1, width: 1920, height: 1080 });
    const { media, output, result } = await encode(input, 'mp4-av1-720p', 'av1-1080.mp4');
    expect(result).toMatchObject({ width: 1280, height: 720 });
    const out = await ffprobeJson(output);
    expect(out.format.format_name).toContain('mp4');
    expect(streamOf(out, 'video')).toMatchObject({ codec_name: 'av1', width: 1280, height: 720, pix_fmt: 'yuv420p' });
    expect(streamOf(out, 'audio')).toMatchObject({ codec_name: 'aac' });
    expect(out.streams).toHaveLength(2);
    expect(Math.abs(Number(out.format.duration) - media.durationSeconds)).toBeLessThan(0.1);
    const boxes = await topLevelBoxes(output);
    expect(boxes[0]).toBe('ftyp');
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
  });

  it('mp4-av1-720p: a video-only MP4 from an input without audio, never upscaled', async () => {
    const { output } = await encode(silent, 'mp4-av1-720p', 'av1-silent.mp4');
    const out = await ffprobeJson(output);
    expect(out.streams).toEqual([
      expect.objectContaining({ codec_type: 'video', codec_name: 'av1', width: 480, height: 272 }),
    ]);
  });

  it('mp4-av1-720p: SVT-AV1 takes 64x64 and refuses a side under 64, as outputTooSmall says', async () => {
    const [square, flat] = await Promise.all([
      makeClip({ seconds: 1, width: 64, height: 64, audio: false }),
      makeClip({ seconds: 1, width: 128, height: 62, audio: false }),
    ]);
    const av1 = getPreset('mp4-av1-720p')!;
    expect(outputTooSmall(av1, await probe(square))).toBeNull();
    await expect(encode(square, 'mp4-av1-720p', 'av1-64.mp4')).resolves.toMatchObject({
      result: { width: 64, height: 64 },
    });
    expect(outputTooSmall(av1, await probe(flat))).toEqual({ size: { width: 128, height: 62 }, minSide: 64 });
    await expect(encode(flat, 'mp4-av1-720p', 'av1-62.mp4')).rejects.toThrow(/at least 64/);
  });

  it.each([
    ['mp4-hevc-1080p', 1920, 1080],
    ['mp4-hevc-720p', 1280, 720],
  ] as const)(
    '%s: HEVC Main tagged hvc1 (what Apple players need) + AAC in a fast-start MP4, %ix%i, same duration',
    async (id, width, height) => {
      const input = await makeClip({ seconds: 1, width: 1920, height: 1080 });
      const { media, output, result } = await encode(input, id, `${id}.mp4`);
      expect(result).toMatchObject({ width, height });
      const out = await ffprobeJson(output);
      expect(out.format.format_name).toContain('mp4');
      expect(streamOf(out, 'video')).toMatchObject({
        codec_name: 'hevc',
        codec_tag_string: 'hvc1',
        profile: 'Main',
        width,
        height,
        pix_fmt: 'yuv420p',
      });
      expect(streamOf(out, 'audio')).toMatchObject({ codec_name: 'aac' });
      expect(out.streams).toHaveLength(2);
      expect(Math.abs(Number(out.format.duration) - media.durationSeconds)).toBeLessThan(0.1);
      const boxes = await topLevelBoxes(output);
      expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    },
  );

  it('mp4-hevc-720p: x265 takes 16x16 and refuses a side under 16, as outputTooSmall says', async () => {
    const [square, flat] = await Promise.all([
      makeClip({ seconds: 1, width: 16, height: 16, audio: false }),
      makeClip({ seconds: 1, width: 64, height: 14, audio: false }),
    ]);
    const hevc = getPreset('mp4-hevc-720p')!;
    expect(outputTooSmall(hevc, await probe(square))).toBeNull();
    await expect(encode(square, 'mp4-hevc-720p', 'hevc-16.mp4')).resolves.toMatchObject({
      result: { width: 16, height: 16 },
    });
    expect(outputTooSmall(hevc, await probe(flat))).toEqual({ size: { width: 64, height: 14 }, minSide: 16 });
    await expect(encode(flat, 'mp4-hevc-720p', 'hevc-14.mp4')).rejects.toThrow();
  });

  it('mp4-av1-1080p: AV1 + AAC in a fast-start MP4 at 1920x1080', async () => {
    const input = await makeClip({ seconds: 1, width: 1920, height: 1080 });
    const { output, result } = await encode(input, 'mp4-av1-1080p', 'av1-1080p.mp4');
    expect(result).toMatchObject({ width: 1920, height: 1080 });
    const out = await ffprobeJson(output);
    expect(streamOf(out, 'video')).toMatchObject({ codec_name: 'av1', width: 1920, height: 1080, pix_fmt: 'yuv420p' });
    expect(streamOf(out, 'audio')).toMatchObject({ codec_name: 'aac' });
  });

  it.each([
    ['webm-av1-1080p', 1920, 1080],
    ['webm-av1-720p', 1280, 720],
  ] as const)('%s: AV1 + Opus in WebM, %ix%i, same duration', async (id, width, height) => {
    const input = await makeClip({ seconds: 1, width: 1920, height: 1080 });
    const { media, output, result } = await encode(input, id, `${id}.webm`);
    expect(result).toMatchObject({ width, height });
    const out = await ffprobeJson(output);
    expect(out.format.format_name).toContain('webm');
    expect(streamOf(out, 'video')).toMatchObject({ codec_name: 'av1', width, height, pix_fmt: 'yuv420p' });
    expect(streamOf(out, 'audio')).toMatchObject({ codec_name: 'opus' });
    expect(out.streams).toHaveLength(2);
    expect(Math.abs(Number(out.format.duration) - media.durationSeconds)).toBeLessThan(0.1);
  });

  it('webm-av1-720p: SVT-AV1 in WebM refuses a side under 64 before encoding, as in MP4', async () => {
    const flat = await makeClip({ seconds: 1, width: 128, height: 62, audio: false });
    expect(outputTooSmall(getPreset('webm-av1-720p')!, await probe(flat))).toEqual({
      size: { width: 128, height: 62 },
      minSide: 64,
    });
  });

  it('webm-720p: VP9 + Opus, never upscaled, same duration', async () => {
    const { media, output } = await encode(sd, 'webm-720p', 'sd.webm');
    const out = await probe(output);
    expect(out.video).toMatchObject({ codec: 'vp9', width: 640, height: 480 });
    expect(out.audio?.codec).toBe('opus');
    expect(Math.abs(out.durationSeconds - media.durationSeconds)).toBeLessThan(0.1);
  });

  it('hls: a master listing three renditions with BANDWIDTH, whose segments decode', async () => {
    const { output } = await encode(hd, 'hls', 'hls');
    const master = await readFile(join(output, 'master.m3u8'), 'utf8');
    const variants = master.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF'));
    expect(variants).toHaveLength(3);
    for (const v of variants) expect(Number(/BANDWIDTH=(\d+)/.exec(v)![1])).toBeGreaterThan(200_000);
    expect(master).toMatch(/RESOLUTION=1280x720/);
    expect(master).toMatch(/RESOLUTION=854x480/);
    expect(master).toMatch(/RESOLUTION=640x360/);
    for (let i = 0; i < 3; i++) {
      const segments = (await readdir(join(output, `v${i}`))).filter((f) => f.endsWith('.ts'));
      expect(segments.length).toBeGreaterThanOrEqual(1);
      // Segment length follows -hls_time 4: a 5 s input gives two segments per rendition.
      expect(segments.length).toBe(2);
      const seg = await probe(join(output, `v${i}`, segments[0]!));
      expect(seg.video?.codec).toBe('h264');
      expect(seg.audio?.codec).toBe('aac');
    }
    const whole = await probe(join(output, 'v0', 'index.m3u8'), { trustedFormat: true });
    expect(Math.abs(whole.durationSeconds - 5)).toBeLessThan(0.15);
  });

  it('hls from a small input keeps only the rungs not above it', async () => {
    const { output } = await encode(sd, 'hls', 'hls-sd');
    const master = await readFile(join(output, 'master.m3u8'), 'utf8');
    expect(master.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF'))).toHaveLength(2);
  });

  it('thumbnails: five JPEGs at 360p', async () => {
    const { output } = await encode(hd, 'thumbnails', 'thumbs');
    const files = (await readdir(output)).sort();
    expect(files).toEqual(['thumb-01.jpg', 'thumb-02.jpg', 'thumb-03.jpg', 'thumb-04.jpg', 'thumb-05.jpg']);
    const first = await probe(join(output, files[0]!), { trustedFormat: true });
    expect(first.video).toMatchObject({ codec: 'mjpeg', width: 640, height: 360 });
  });

  it('thumbnails: five JPEGs whatever the length and frame rate (the last one is not lost at the end)', async () => {
    // ffmpeg's fps filter rounded the last pick past the end of these clips and wrote four.
    for (const [seconds, rate] of [
      [2, 10],
      [10, 30],
      [300, 10],
    ] as const) {
      const input = await makeClip({ seconds, width: 128, height: 72, fps: rate, audio: false });
      const { output } = await encode(input, 'thumbnails', `thumbs-${seconds}`);
      expect({ seconds, files: (await readdir(output)).sort() }).toEqual({
        seconds,
        files: ['thumb-01.jpg', 'thumb-02.jpg', 'thumb-03.jpg', 'thumb-04.jpg', 'thumb-05.jpg'],
      });
    }
  });

  it('audio-aac: AAC only, same duration', async () => {
    const { media, output } = await encode(sd, 'audio-aac', 'sd.m4a');
    const out = await probe(output);
    expect(out.video).toBeNull();
    expect(out.audio?.codec).toBe('aac');
    expect(Math.abs(out.durationSeconds - media.durationSeconds)).toBeLessThan(0.1);
  });

  it('audio-aac refuses an input without audio before starting ffmpeg', async () => {
    await expect(encode(silent, 'audio-aac', 'silent.m4a')).rejects.toThrow(/no audio stream/);
  });

  it('refuses a concat list or a playlist disguised as .mp4, opening nothing it names', async () => {
    const concat = join(dir, 'concat.mp4');
    const playlist = join(dir, 'playlist.mp4');
    await writeFile(concat, `ffconcat version 1.0\nfile '${sd}'\n`);
    await writeFile(playlist, `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n${sd}\n#EXT-X-ENDLIST\n`);
    await expect(probe(concat)).rejects.toThrow(MediaProbeError);
    await expect(probe(playlist)).rejects.toThrow(MediaProbeError);
    // Even if a caller skipped the probe, ffmpeg itself refuses to follow them.
    const media = await probe(sd);
    await expect(
      transcode({ input: concat, output: join(dir, 'x.mp4'), preset: getPreset('mp4-360p')!, media }),
    ).rejects.toThrow(/whitelist|Invalid data|ffmpeg failed/);
  });
});
