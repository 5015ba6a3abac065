import { PRESETS, type Mp4Preset } from '@kiln/jobs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MediaInfo } from './media-info.js';
import { buildOneDecodeArgs } from './one-decode-args.js';
import { buildTranscodeArgs, computeOutputSize, outputTooSmall, videoFilter } from './transcode-args.js';

const p360 = PRESETS.get('mp4-360p') as Mp4Preset;
const p720 = PRESETS.get('mp4-720p') as Mp4Preset;
const av1 = PRESETS.get('mp4-av1-720p') as Mp4Preset;

function media(
  width: number,
  height: number,
  audio = true,
  extra: Partial<NonNullable<MediaInfo['video']>> = {},
): MediaInfo {
  return {
    durationSeconds: 2,
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    sizeBytes: 1000,
    bitRate: 1000,
    video: { codec: 'h264', width, height, displayWidth: width, displayHeight: height, fps: 25, rotation: 0, ...extra },
    audio: audio ? { codec: 'aac', channels: 2, sampleRate: 44100 } : null,
    transcodable: true,
  };
}

/** The value following `flag` in an argument list. */
function arg(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

describe('computeOutputSize', () => {
  it.each([
    [320, 240, 360, 320, 240],
    [640, 480, 360, 480, 360],
    [1920, 1080, 720, 1280, 720],
    [1080, 1920, 720, 720, 1280],
    [1280, 720, 1080, 1280, 720],
    [321, 241, 360, 320, 240],
    [853, 480, 360, 640, 360],
    [241, 321, 360, 240, 320],
  ])('fits %ix%i under %ip as %ix%i', (w, h, bound, ow, oh) => {
    expect(computeOutputSize({ width: w, height: h }, bound)).toEqual({ width: ow, height: oh });
  });

  it('never upscales, keeps both sides even and the aspect ratio close, for any size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 8000 }),
        fc.integer({ min: 16, max: 8000 }),
        fc.constantFrom(360, 480, 720, 1080),
        (w, h, bound) => {
          const out = computeOutputSize({ width: w, height: h }, bound);
          expect(out.width % 2).toBe(0);
          expect(out.height % 2).toBe(0);
          expect(out.width).toBeLessThanOrEqual(w);
          expect(out.height).toBeLessThanOrEqual(h);
          expect(Math.min(out.width, out.height)).toBeLessThanOrEqual(bound);
          // Rounding to even sides moves each by at most 2 px from the exact aspect.
          const exactLong = (Math.max(w, h) * Math.min(out.width, out.height)) / Math.min(w, h);
          expect(Math.abs(Math.max(out.width, out.height) - exactLong)).toBeLessThanOrEqual(2);
        },
      ),
    );
  });
});

describe('buildTranscodeArgs', () => {
  it('builds an H.264/AAC fast-start MP4 command from the preset', () => {
    const args = buildTranscodeArgs({
      input: '/in/a.mov',
      output: '/out/x.tmp',
      preset: p720,
      media: media(1920, 1080),
      threads: 2,
    });
    expect(arg(args, '-c:v')).toBe('libx264');
    expect(arg(args, '-preset')).toBe('veryfast');
    expect(arg(args, '-crf')).toBe('23');
    expect(arg(args, '-maxrate')).toBe('3500k');
    expect(arg(args, '-bufsize')).toBe('7000k');
    expect(arg(args, '-profile:v')).toBe('high');
    expect(arg(args, '-pix_fmt')).toBe('yuv420p');
    expect(arg(args, '-vf')).toBe('scale=1280:720,setsar=1');
    expect(arg(args, '-c:a')).toBe('aac');
    expect(arg(args, '-b:a')).toBe('128k');
    expect(arg(args, '-threads')).toBe('2');
    expect(arg(args, '-movflags')).toBe('+faststart');
    expect(arg(args, '-progress')).toBe('pipe:1');
    expect(args).toEqual(expect.arrayContaining(['-nostats', '-hide_banner', '-nostdin', '-y']));
    expect(args).not.toContain('-an');
    expect(args.slice(-3)).toEqual(['-f', 'mp4', 'file:/out/x.tmp']);
  });

  it('builds exactly this command for mp4-720p: H.264 first, then AAC when there is audio', () => {
    const args = buildTranscodeArgs({
      input: '/in/a.mov',
      output: '/out/x.tmp',
      preset: p720,
      media: media(1920, 1080),
    });
    expect(args.slice(args.indexOf('file:/in/a.mov') + 1)).toEqual([
      ...['-map', '0:v:0', '-vf', 'scale=1280:720,setsar=1'],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-maxrate', '3500k', '-bufsize', '7000k'],
      ...['-profile:v', 'high', '-pix_fmt', 'yuv420p', '-fps_mode', 'vfr'],
      ...['-map', '0:a:0?', '-c:a', 'aac', '-b:a', '128k'],
      ...['-sn', '-dn', '-max_muxing_queue_size', '1024', '-movflags', '+faststart', '-f', 'mp4', 'file:/out/x.tmp'],
    ]);
  });

  it('builds an AV1 fast-start MP4 for mp4-av1-720p: SVT-AV1 preset 10, CRF 35 capped at 2000 kbit/s, lp = threads', () => {
    const args = buildTranscodeArgs({
      input: '/in/a.mov',
      output: '/out/x.tmp',
      preset: av1,
      media: media(1920, 1080),
      threads: 2,
    });
    expect(args.slice(args.indexOf('file:/in/a.mov') + 1)).toEqual([
      ...['-map', '0:v:0', '-vf', 'scale=1280:720,setsar=1'],
      ...['-c:v', 'libsvtav1', '-preset', '10', '-crf', '35', '-maxrate', '2000k', '-svtav1-params', 'lp=2'],
      ...['-pix_fmt', 'yuv420p', '-fps_mode', 'vfr'],
      ...['-map', '0:a:0?', '-c:a', 'aac', '-b:a', '128k'],
      ...['-sn', '-dn', '-max_muxing_queue_size', '1024', '-threads', '2'],
      ...['-movflags', '+faststart', '-f', 'mp4', 'file:/out/x.tmp'],
    ]);
  });

  it('AV1: the same command with or without audio, no upscaling, and no lp when the thread count is not given', () => {
    const req = { input: '/a', output: '/b', preset: av1 };
    const silent = buildTranscodeArgs({ ...req, media: media(640, 480, false) });
    expect(silent).toEqual(buildTranscodeArgs({ ...req, media: media(640, 480, true) }));
    expect(arg(silent, '-vf')).toBe('scale=640:480,setsar=1');
    expect(silent).not.toContain('-svtav1-params');
    expect(silent).not.toContain('-bufsize');
    expect(silent).not.toContain('-threads');
  });

  it('restricts the input to file and pipe protocols, set before -i', () => {
    const args = buildTranscodeArgs({
      input: 'http://evil/x.m3u8',
      output: '/o.mp4',
      preset: p360,
      media: media(640, 480),
    });
    const wl = args.indexOf('-protocol_whitelist');
    expect(args[wl + 1]).toBe('file,pipe');
    expect(wl).toBeLessThan(args.indexOf('-i'));
    expect(arg(args, '-i')).toBe('file:http://evil/x.m3u8');
  });

  it('maps audio only if there is some (the same command with or without it), and omits -threads when not given', () => {
    const args = buildTranscodeArgs({ input: '/a', output: '/b', preset: p360, media: media(640, 480, false) });
    expect(arg(args, '-map')).toBe('0:v:0');
    expect(args.slice(args.lastIndexOf('-map'), args.lastIndexOf('-map') + 2)).toEqual(['-map', '0:a:0?']);
    expect(args).toEqual(buildTranscodeArgs({ input: '/a', output: '/b', preset: p360, media: media(640, 480, true) }));
    expect(args).not.toContain('-threads');
  });

  it('downmixes more than two audio channels to stereo', () => {
    const m = media(640, 480);
    const args = buildTranscodeArgs({
      input: '/a',
      output: '/b',
      preset: p360,
      media: { ...m, audio: { codec: 'ac3', channels: 6, sampleRate: 48000 } },
    });
    expect(arg(args, '-ac')).toBe('2');
  });

  it('sizes rotated and non-square-pixel input by what the viewer sees', () => {
    const rotated = media(1920, 1080, true, { displayWidth: 1080, displayHeight: 1920, rotation: 90 });
    expect(arg(buildTranscodeArgs({ input: '/a', output: '/b', preset: p720, media: rotated }), '-vf')).toBe(
      'scale=720:1280,setsar=1',
    );
    const anamorphic = media(720, 480, true, { displayWidth: 853, displayHeight: 480 });
    expect(arg(buildTranscodeArgs({ input: '/a', output: '/b', preset: p360, media: anamorphic }), '-vf')).toBe(
      'scale=640:360,setsar=1',
    );
  });

  it('reads the video filter from a file when asked (MP4 and WebM), and changes nothing else', () => {
    for (const preset of [p720, av1, PRESETS.get('webm-720p')!]) {
      const req = { input: '/in/a.mov', output: '/out/b', preset, media: media(1920, 1080), threads: 2 };
      const inline = buildTranscodeArgs(req);
      const scripted = buildTranscodeArgs({ ...req, videoFilterScript: '/out/b.vf' });
      const at = inline.indexOf('-vf');
      expect(inline[at + 1]).toBe(videoFilter(req));
      expect(videoFilter(req)).toBe('scale=1280:720,setsar=1');
      expect(scripted.slice(at, at + 2)).toEqual(['-filter_script:v', 'file:/out/b.vf']);
      expect([...scripted.slice(0, at), ...scripted.slice(at + 2)]).toEqual([
        ...inline.slice(0, at),
        ...inline.slice(at + 2),
      ]);
    }
    expect(videoFilter({ preset: PRESETS.get('hls')!, media: media(1920, 1080) })).toBeNull();
  });

  it('refuses input without a video stream', () => {
    expect(() =>
      buildTranscodeArgs({ input: '/a', output: '/b', preset: p360, media: { ...media(1, 1), video: null } }),
    ).toThrow(TypeError);
  });
});

describe('outputTooSmall', () => {
  it('is the output size and 64 when an AV1 output would have a side under 64 pixels', () => {
    expect(outputTooSmall(av1, media(200, 30))).toEqual({ size: { width: 200, height: 30 }, minSide: 64 });
    expect(outputTooSmall(av1, media(63, 480))).toEqual({ size: { width: 62, height: 472 }, minSide: 64 });
  });

  it('is null when SVT-AV1 takes the picture, for H.264 and non-MP4 presets, and without video', () => {
    expect(outputTooSmall(av1, media(64, 64))).toBeNull();
    expect(outputTooSmall(av1, media(1080, 1920))).toBeNull();
    expect(outputTooSmall(p360, media(200, 30))).toBeNull();
    expect(outputTooSmall(PRESETS.get('thumbnails')!, media(200, 30))).toBeNull();
    expect(outputTooSmall(av1, { ...media(200, 30), video: null })).toBeNull();
  });
});

describe('the source filter (deinterlace, HDR tone map)', () => {
  const hls = PRESETS.get('hls')!;
  const thumbs = PRESETS.get('thumbnails')!;
  const DEINT = 'bwdif=mode=send_frame:parity=auto:deint=all';

  it('adds nothing for progressive SDR input', () => {
    expect(videoFilter({ preset: p720, media: media(1280, 720) })).toBe('scale=1280:720,setsar=1');
  });

  it('deinterlaces before scaling an interlaced input, once for a whole graph', () => {
    const m = media(720, 576, true, { interlaced: true });
    expect(videoFilter({ preset: p720, media: m })).toBe(`${DEINT},scale=720:576,setsar=1`);
    const args = buildTranscodeArgs({ input: '/a', output: '/o', preset: hls, media: m });
    expect(arg(args, '-filter_complex')).toMatch(new RegExp(`^\\[0:v\\]${DEINT},split=3`));
    const thumbArgs = buildTranscodeArgs({ input: '/a', output: '/o', preset: thumbs, media: m });
    expect(arg(thumbArgs, '-vf')).toMatch(new RegExp(`^${DEINT},fps=`));
    const group = buildOneDecodeArgs({
      input: '/a',
      media: m,
      outputs: [
        { preset: p720, output: '/o/a.mp4' },
        { preset: hls, output: '/o/hls' },
      ],
    });
    const graph = arg(group, '-filter_complex')!;
    expect(graph.split(DEINT)).toHaveLength(2);
    expect(graph).toMatch(new RegExp(`^\\[0:v\\]${DEINT},split=4`));
  });

  it('tone-maps HDR (PQ or HLG) to BT.709 8-bit, after deinterlacing', () => {
    for (const hdr of ['pq', 'hlg'] as const) {
      const filter = videoFilter({ preset: p720, media: media(1280, 720, true, { hdr, interlaced: true }) })!;
      expect(filter).toMatch(
        /^bwdif=[^,]*,zscale=t=linear[^,]*,.*tonemap=tonemap=hable.*zscale=t=bt709:m=bt709.*,format=yuv420p,scale=1280:720,setsar=1$/,
      );
    }
  });
});
