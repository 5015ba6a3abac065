import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { applyOutputSettings, DASH_MANIFEST_FILE, getPreset, HLS_MASTER_FILE, type Preset } from '@kiln/jobs';
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

/** The attributes of every `<tag ...>` element in an XML text, in document order (ffmpeg's MPD has no nesting tricks). */
function xmlElements(xml: string, tag: string): Record<string, string>[] {
  return [...xml.matchAll(new RegExp(`<${tag}\\s([^>]*)>`, 'g'))].map((m) =>
    Object.fromEntries([...m[1]!.matchAll(/([\w:]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
  );
}

/** An MPD's adaptation sets with their representations, by content type. */
function mpdSets(mpd: string): { contentType: string; par?: string; representations: Record<string, string>[] }[] {
  return mpd
    .split('<AdaptationSet ')
    .slice(1)
    .map((block) => {
      const set = xmlElements(`<AdaptationSet ${block}`, 'AdaptationSet')[0]!;
      return { ...set, contentType: set.contentType!, representations: xmlElements(block, 'Representation') };
    });
}

/** The attribute list of each `#EXT-X-STREAM-INF` line of a master playlist. */
function streamInfs(master: string): Record<string, string>[] {
  return master
    .split('\n')
    .filter((l) => l.startsWith('#EXT-X-STREAM-INF:'))
    .map((l) =>
      Object.fromEntries(
        [...l.slice('#EXT-X-STREAM-INF:'.length).matchAll(/([A-Z-]+)=("[^"]*"|[^,]*)/g)].map((a) => [
          a[1]!,
          a[2]!.replace(/^"|"$/g, ''),
        ]),
      ),
    );
}

/** Presentation time and keyframe flag of each video packet of a file, in decode order. */
async function videoPackets(file: string): Promise<{ pts: number; key: boolean }[]> {
  const { stdout } = await promisify(execFile)('ffprobe', [
    ...['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'json', file],
  ]);
  const { packets } = JSON.parse(stdout) as { packets: { pts_time: string; flags: string }[] };
  return packets.map((p) => ({ pts: Number(p.pts_time), key: p.flags.startsWith('K') }));
}

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
    expect(Number((streamOf(out, 'audio') as Record<string, unknown>).bit_rate) / 1000).toBeGreaterThan(48);
    expect(Number((streamOf(out, 'audio') as Record<string, unknown>).bit_rate) / 1000).toBeLessThan(80);
    // The same clip at the preset's own CRF 23 is larger: CRF 30 took effect.
    const plain = join(dir, 'settings-plain.mp4');
    const lower = applyOutputSettings(getPreset('mp4-720p')!, { ...settings, crf: 23 });
    await transcode({ input, output: plain, preset: lower, media, threads: 2 });
    expect(Number(((await ffprobeJson(plain)).format as Record<string, unknown>).size)).toBeGreaterThan(
      Number((out.format as Record<string, unknown>).size),
    );
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

  it('cmaf: fMP4 segments of three H.264 rungs and AAC, listed by an HLS master (CODECS, BANDWIDTH, RESOLUTION) and a static MPD', async () => {
    const { output, result } = await encode(hd, 'cmaf', 'cmaf');
    expect(result).toMatchObject({ width: 1280, height: 720 });
    const files = (await readdir(output)).sort();
    // 3 video + 3 audio representations: an init segment, a media playlist and 2 segments (4 s + 1 s) each.
    expect(files.filter((f) => f.startsWith('init-'))).toEqual([0, 1, 2, 3, 4, 5].map((i) => `init-${i}.mp4`));
    expect(files.filter((f) => f.endsWith('.m4s'))).toHaveLength(12);
    expect(files.filter((f) => /^media_\d\.m3u8$/.test(f))).toHaveLength(6);
    expect(files).toContain(HLS_MASTER_FILE);
    expect(files).toContain(DASH_MANIFEST_FILE);
    expect(files).toHaveLength(6 + 12 + 6 + 2);

    const master = await readFile(join(output, HLS_MASTER_FILE), 'utf8');
    const variants = streamInfs(master);
    expect(variants.map((v) => v.RESOLUTION)).toEqual(['1280x720', '854x480', '640x360']);
    for (const v of variants) {
      expect(v.CODECS).toMatch(/^avc1\.64[0-9a-f]{4},mp4a\.40\.2$/);
      expect(Number(v.BANDWIDTH)).toBeGreaterThan(100_000);
      expect(v.AUDIO).toBeTruthy();
    }
    expect(master.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA:TYPE=AUDIO'))).toHaveLength(3);
    // BANDWIDTH is the peak segment rate (HLS's definition): the rung's largest segment plus the largest audio one.
    const peak = async (rep: number) => {
      const sizes = await Promise.all(
        [1, 2].map(async (n) => (await stat(join(output, `seg-${rep}-0000${n}.m4s`))).size),
      );
      const media = await readFile(join(output, `media_${rep}.m3u8`), 'utf8');
      const seconds = [...media.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
      return Math.max(...sizes.map((size, i) => Math.ceil((size * 8) / seconds[i]!)));
    };
    const audioPeak = Math.max(await peak(3), await peak(4), await peak(5));
    expect(variants.map((v) => Number(v.BANDWIDTH))).toEqual([
      (await peak(0)) + audioPeak,
      (await peak(1)) + audioPeak,
      (await peak(2)) + audioPeak,
    ]);
    const media0 = await readFile(join(output, 'media_0.m3u8'), 'utf8');
    expect(media0).toContain('#EXT-X-MAP:URI="init-0.mp4"');
    expect(media0).toContain('#EXT-X-ENDLIST');
    expect(media0.split('\n').slice(0, 3)).toEqual(['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-PLAYLIST-TYPE:VOD']);
    expect(media0).not.toContain('#EXT-X-PROGRAM-DATE-TIME');
    expect([...media0.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]))).toEqual([4, 1]);

    const mpd = await readFile(join(output, DASH_MANIFEST_FILE), 'utf8');
    expect(xmlElements(mpd, 'MPD')[0]).toMatchObject({ type: 'static', mediaPresentationDuration: 'PT5.0S' });
    const [video, audio, ...rest] = mpdSets(mpd);
    expect(rest).toEqual([]);
    expect(video).toMatchObject({ contentType: 'video', par: '16:9' });
    expect(video!.representations.map((r) => [r.mimeType, r.width, r.height])).toEqual([
      ['video/mp4', '1280', '720'],
      ['video/mp4', '854', '480'],
      ['video/mp4', '640', '360'],
    ]);
    expect(audio).toMatchObject({ contentType: 'audio' });
    expect(audio!.representations.map((r) => [r.codecs, r.bandwidth])).toEqual([
      ['mp4a.40.2', '128000'],
      ['mp4a.40.2', '96000'],
      ['mp4a.40.2', '64000'],
    ]);
    expect(xmlElements(mpd, 'SegmentTemplate')[0]).toMatchObject({
      initialization: 'init-$RepresentationID$.mp4',
      media: 'seg-$RepresentationID$-$Number%05d$.m4s',
    });

    // The MPD, opened by ffmpeg's DASH demuxer: every rung decodes, at its size, for the whole duration.
    const viaMpd = await ffprobeJson(join(output, DASH_MANIFEST_FILE));
    expect(viaMpd.streams.map((s) => [s.codec_name, s.width ?? null, s.height ?? null])).toEqual([
      ['h264', 1280, 720],
      ['h264', 854, 480],
      ['h264', 640, 360],
      ['aac', null, null],
      ['aac', null, null],
      ['aac', null, null],
    ]);
    expect(Math.abs(Number(viaMpd.format.duration) - 5)).toBeLessThan(0.15);

    // fMP4: an init segment (ftyp + moov), then fragments (moof + mdat); the second segment starts on a keyframe at 4 s.
    expect((await topLevelBoxes(join(output, 'init-1.mp4'))).slice(0, 2)).toEqual(['ftyp', 'moov']);
    const segment = await topLevelBoxes(join(output, 'seg-1-00002.m4s'));
    expect(segment).toContain('moof');
    expect(segment).toContain('mdat');
    const joined = join(dir, 'cmaf-rung1-seg2.mp4');
    await writeFile(
      joined,
      Buffer.concat([await readFile(join(output, 'init-1.mp4')), await readFile(join(output, 'seg-1-00002.m4s'))]),
    );
    const packets = await videoPackets(joined);
    expect(packets[0]).toEqual({ pts: expect.closeTo(4, 1) as number, key: true });
  });

  it('cmaf keeps only the rungs not above a small input, and gives every rung one display aspect ratio', async () => {
    const { output } = await encode(sd, 'cmaf', 'cmaf-sd');
    const master = await readFile(join(output, HLS_MASTER_FILE), 'utf8');
    expect(streamInfs(master).map((v) => v.RESOLUTION)).toEqual(['640x480', '480x360']);
    expect(
      mpdSets(await readFile(join(output, DASH_MANIFEST_FILE), 'utf8')).map((s) => s.representations.length),
    ).toEqual([2, 2]);

    // 1000x562: the rungs round to 854x480 and 640x360, three aspect ratios the DASH muxer would refuse in one set.
    const odd = await makeClip({ seconds: 1, width: 1000, height: 562 });
    const { output: oddOut } = await encode(odd, 'cmaf', 'cmaf-odd');
    const [video] = mpdSets(await readFile(join(oddOut, DASH_MANIFEST_FILE), 'utf8'));
    expect(video!.representations.map((r) => `${r.width}x${r.height}`)).toEqual(['1000x562', '854x480', '640x360']);
    expect(video!.par).toBe('500:281');
    expect(video!.representations[0]!.sar).toBe('1:1');
  });

  it('cmaf from an input without audio: a video-only ladder, one adaptation set, variants without an audio group', async () => {
    const { output, result } = await encode(silent, 'cmaf', 'cmaf-silent');
    expect(result).toMatchObject({ width: 480, height: 272 });
    const master = await readFile(join(output, HLS_MASTER_FILE), 'utf8');
    expect(streamInfs(master)).toEqual([expect.objectContaining({ RESOLUTION: '480x272' })]);
    expect(master).not.toContain('TYPE=AUDIO');
    const sets = mpdSets(await readFile(join(output, DASH_MANIFEST_FILE), 'utf8'));
    expect(sets.map((s) => [s.contentType, s.representations.length])).toEqual([['video', 1]]);
    const viaMpd = await ffprobeJson(join(output, DASH_MANIFEST_FILE));
    expect(viaMpd.streams.map((s) => s.codec_name)).toEqual(['h264']);
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
