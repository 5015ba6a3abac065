import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { getPreset } from '@kiln/jobs';
import { ffprobeJson, idetCounts } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transcode } from './ffmpeg-transcode.adapter.js';
import { probe } from './ffprobe.adapter.js';
import { transcodeGroup } from './one-decode.adapter.js';

const run = promisify(execFile);

const colour = async (file: string) => {
  const v = (await ffprobeJson(file)).streams.find((s) => s.codec_type === 'video')! as Record<string, unknown>;
  return {
    pix_fmt: v.pix_fmt,
    color_transfer: v.color_transfer,
    color_primaries: v.color_primaries,
    color_space: v.color_space,
  };
};

describe('inputs that need a source filter, on real ffmpeg', () => {
  let dir: string;
  let interlaced: string;
  let hdr10: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kiln-source-filter-'));
    interlaced = path.join(dir, 'interlaced.mp4');
    hdr10 = path.join(dir, 'hdr10.mp4');
    // PAL 576i: 50 fields a second woven into 25 interlaced frames, coded as interlaced H.264 (top field first).
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=720x576:rate=50',
      '-t',
      '4',
      '-vf',
      'interlace=scan=tff',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-flags',
      '+ilme+ildct',
      '-x264opts',
      'tff=1',
      '-pix_fmt',
      'yuv420p',
      interlaced,
    ]);
    // HDR10: PQ transfer, BT.2020 primaries and matrix, 10 bit, HEVC, as cameras and phones write.
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=25',
      '-t',
      '3',
      '-vf',
      'zscale=tin=bt709:min=bt709:pin=bt709:t=smpte2084:m=bt2020nc:p=bt2020:npl=100,format=yuv420p10le',
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-x265-params',
      'log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc',
      '-color_trc',
      'smpte2084',
      '-color_primaries',
      'bt2020',
      '-colorspace',
      'bt2020nc',
      hdr10,
    ]);
  }, 60_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('probes the interlaced input as interlaced and the HDR10 one as PQ', async () => {
    expect((await probe(interlaced)).video).toMatchObject({ interlaced: true, hdr: null });
    expect((await probe(hdr10)).video).toMatchObject({ interlaced: false, hdr: 'pq' });
  });

  it('deinterlaces: the full-size output is progressive by idet, every frame kept', { timeout: 120_000 }, async () => {
    const media = await probe(interlaced);
    expect(await idetCounts(interlaced)).toMatchObject({ progressive: 0 });
    const out = path.join(dir, 'deinterlaced.mp4');
    // mp4-720p bounds the short side at 720: a 720x576 input stays full size.
    const result = await transcode({
      input: interlaced,
      output: out,
      preset: getPreset('mp4-720p')!,
      media,
      threads: 2,
    });
    expect(result).toMatchObject({ width: 720, height: 576 });
    const verdict = await idetCounts(out);
    expect(verdict.tff + verdict.bff).toBe(0);
    expect(verdict.progressive).toBe(100);
    const probed = (await ffprobeJson(out)).streams.find((s) => s.codec_type === 'video') as Record<string, unknown>;
    expect(probed.field_order).toBe('progressive');
    expect(Number(probed.nb_frames)).toBe(100);
  });

  it('tone-maps HDR10 to BT.709 8-bit, alone and in a one-decode ladder with HLS', { timeout: 180_000 }, async () => {
    const media = await probe(hdr10);
    expect(await colour(hdr10)).toMatchObject({ pix_fmt: 'yuv420p10le', color_transfer: 'smpte2084' });
    const sdr = { pix_fmt: 'yuv420p', color_transfer: 'bt709', color_primaries: 'bt709', color_space: 'bt709' };

    const alone = path.join(dir, 'sdr.mp4');
    await transcode({ input: hdr10, output: alone, preset: getPreset('mp4-720p')!, media, threads: 2 });
    expect(await colour(alone)).toEqual(sdr);

    const group = path.join(dir, 'group');
    await mkdir(group, { recursive: true });
    await transcodeGroup({
      input: hdr10,
      media,
      threads: 2,
      outputs: [
        { preset: getPreset('mp4-480p')!, output: path.join(group, 'mp4-480p.mp4') },
        { preset: getPreset('hls')!, output: path.join(group, 'hls') },
      ],
    });
    expect(await colour(path.join(group, 'mp4-480p.mp4'))).toEqual(sdr);
    for (const rung of ['v0', 'v1', 'v2'])
      expect(await colour(path.join(group, 'hls', rung, 'seg_000.ts'))).toMatchObject({
        pix_fmt: 'yuv420p',
        color_transfer: 'bt709',
        color_primaries: 'bt709',
      });
  });
});
