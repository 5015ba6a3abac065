import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getPreset } from '@kiln/jobs';
import { ffprobeJson, makeClip, withSubtitles } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captionTracks, withSubtitleGroup } from './captions.js';
import { FfmpegMediaAdapter } from './ffmpeg-media.adapter.js';
import type { MediaInfo } from './media-info.js';
import { parseFfprobeJson } from './media-info.parser.js';

describe('caption tracks, as named and listed', () => {
  it('takes the text subtitle streams only, keeping their place among all subtitle streams for the map', () => {
    const info = parseFfprobeJson({
      format: { duration: '10' },
      streams: [
        { codec_type: 'video', codec_name: 'h264', width: 320, height: 240 },
        { codec_type: 'subtitle', codec_name: 'hdmv_pgs_subtitle', tags: { language: 'eng' } },
        { codec_type: 'subtitle', codec_name: 'subrip', tags: { language: 'eng', title: 'English (SDH)' } },
        { codec_type: 'subtitle', codec_name: 'ass', tags: { language: 'por' } },
        { codec_type: 'subtitle', codec_name: 'mov_text', tags: { language: 'und' } },
      ],
    });
    expect(info.subtitles).toEqual([
      { index: 1, codec: 'subrip', language: 'eng', title: 'English (SDH)' },
      { index: 2, codec: 'ass', language: 'por', title: null },
      { index: 3, codec: 'mov_text', language: 'und', title: null },
    ]);
    expect(captionTracks(info).map(({ vtt, playlist, language, name }) => ({ vtt, playlist, language, name }))).toEqual(
      [
        { vtt: 'subs/captions-01.vtt', playlist: 'subs/captions-01.m3u8', language: 'en', name: 'English (SDH)' },
        { vtt: 'subs/captions-02.vtt', playlist: 'subs/captions-02.m3u8', language: 'pt', name: 'Portuguese' },
        { vtt: 'subs/captions-03.vtt', playlist: 'subs/captions-03.m3u8', language: null, name: 'Captions 3' },
      ],
    );
  });

  it('puts a subtitle rendition per track before the variants, and the group on every variant', () => {
    const media = { subtitles: [{ index: 0, codec: 'subrip', language: 'fra', title: null }] } as unknown as MediaInfo;
    const master = withSubtitleGroup(
      '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=100,RESOLUTION=640x360\nv0/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=50\nv1/index.m3u8\n',
      captionTracks(media),
    );
    expect(master.split('\n')).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="French",LANGUAGE="fr",DEFAULT=YES,AUTOSELECT=YES,URI="subs/captions-01.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=100,RESOLUTION=640x360,SUBTITLES="subs"',
      'v0/index.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=50,SUBTITLES="subs"',
      'v1/index.m3u8',
      '',
    ]);
  });
});

/** A WebVTT time (`mm:ss.ttt` or `hh:mm:ss.ttt`) in seconds. */
function seconds(time: string): number {
  return time.split(':').reduce((sum, part) => sum * 60 + Number(part), 0);
}

/** The cues of a WebVTT file as `start-end text`, times in seconds. */
function cues(vtt: string): string[] {
  const blocks = vtt.split(/\n\n+/).filter((b) => b.includes('-->'));
  return blocks.map((b) => {
    const lines = b.split('\n').filter((l) => l.trim() !== '');
    const at = lines.findIndex((l) => l.includes('-->'));
    const [start, , end] = lines[at]!.split(' ');
    return `${seconds(start!)}-${seconds(end!)} ${lines.slice(at + 1).join(' ')}`;
  });
}

describe('captions from the input on real ffmpeg output', () => {
  let dir: string;
  let input: string;
  const media = new FfmpegMediaAdapter();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kiln-captions-'));
    input = await withSubtitles(await makeClip({ seconds: 6, width: 320, height: 240, fps: 12, audio: false }), [
      {
        language: 'eng',
        srt: '1\n00:00:01,000 --> 00:00:02,000\nHello there\n\n2\n00:00:04,500 --> 00:00:05,500\nGoodbye\n',
      },
      { language: 'fra', srt: '1\n00:00:03,000 --> 00:00:04,000\nBonjour\n' },
    ]);
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gives an HLS output of a one-decode group a WebVTT rendition per subtitle stream, on the video timeline', async () => {
    const out = (name: string) => path.join(dir, name);
    await mkdir(out('hls'));
    const source = await media.open(input);
    expect(source.info.subtitles?.map((s) => s.language)).toEqual(['eng', 'fra']);
    await source.transcodeGroup({
      outputs: [
        { preset: getPreset('mp4-360p')!, output: out('a.mp4') },
        { preset: getPreset('hls')!, output: out('hls') },
      ],
      threads: 1,
    });
    await source.close();

    const master = await readFile(out('hls/master.m3u8'), 'utf8');
    expect(master.match(/^#EXT-X-MEDIA:TYPE=SUBTITLES.*$/gm)).toEqual([
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,URI="subs/captions-01.m3u8"',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="French",LANGUAGE="fr",DEFAULT=NO,AUTOSELECT=YES,URI="subs/captions-02.m3u8"',
    ]);
    const variants = master.match(/^#EXT-X-STREAM-INF:.*$/gm)!;
    expect(variants.length).toBeGreaterThan(0);
    expect(variants.every((v) => v.endsWith(',SUBTITLES="subs"'))).toBe(true);
    const playlist = await readFile(out('hls/subs/captions-01.m3u8'), 'utf8');
    expect(playlist).toMatch(/#EXTINF:6\.\d{3},\ncaptions-01\.vtt\n#EXT-X-ENDLIST/);

    // Cue time 0 is the video's first frame: the map names where the MPEG-TS timestamps begin.
    const start = Number((await ffprobeJson(out('hls/v0/index.m3u8'))).format.start_time);

    const en = await readFile(out('hls/subs/captions-01.vtt'), 'utf8');
    expect(en.split('\n').slice(0, 2)).toEqual([
      'WEBVTT',
      `X-TIMESTAMP-MAP=MPEGTS:${Math.round(start * 90_000)},LOCAL:00:00:00.000`,
    ]);
    expect(start).toBeGreaterThan(0);
    expect(cues(en)).toEqual(['1-2 Hello there', '4.5-5.5 Goodbye']);
    expect(cues(await readFile(out('hls/subs/captions-02.vtt'), 'utf8'))).toEqual(['3-4 Bonjour']);
    // The MP4 carries no subtitles (they are the stream outputs' sidecars).
    expect((await ffprobeJson(out('a.mp4'))).streams.map((st) => st.codec_type)).toEqual(['video']);
  });

  it('lists them in both manifests of a CMAF output, cut to a clip', async () => {
    const out = path.join(dir, 'cmaf');
    const source = await media.open(input);
    await source.transcode({
      preset: getPreset('cmaf')!,
      output: out,
      clip: { startSeconds: 2.5, endSeconds: 5 },
      threads: 1,
    });
    await source.close();

    const mpd = await readFile(path.join(out, 'manifest.mpd'), 'utf8');
    const text = mpd.match(/<AdaptationSet contentType="text"[^>]*>/g);
    expect(text).toEqual([
      '<AdaptationSet contentType="text" mimeType="text/vtt" lang="en">',
      '<AdaptationSet contentType="text" mimeType="text/vtt" lang="fr">',
    ]);
    expect(mpd).toContain('<BaseURL>subs/captions-02.vtt</BaseURL>');
    expect(await readFile(path.join(out, 'master.m3u8'), 'utf8')).toContain('URI="subs/captions-02.m3u8"');
    // 3-4 s of the input is 0.5-1.5 s of the clip; the English cue at 4.5 s is 2.0 s in.
    expect(cues(await readFile(path.join(out, 'subs/captions-02.vtt'), 'utf8'))).toEqual(['0.5-1.5 Bonjour']);
    expect(cues(await readFile(path.join(out, 'subs/captions-01.vtt'), 'utf8'))).toEqual(['2-3 Goodbye']);
  });

  it('writes each track as a sidecar WebVTT file of a captions output, cut to a clip', async () => {
    const out = path.join(dir, 'captions');
    const source = await media.open(input);
    const result = await source.transcode({
      preset: getPreset('captions')!,
      output: out,
      clip: { startSeconds: 0.5, endSeconds: 5 },
    });
    await source.close();

    expect(result).toMatchObject({ durationSeconds: 4.5, width: null, height: null });
    expect(cues(await readFile(path.join(out, 'captions-01.vtt'), 'utf8'))).toEqual([
      '0.5-1.5 Hello there',
      '4-5 Goodbye',
    ]);
    expect(cues(await readFile(path.join(out, 'captions-02.vtt'), 'utf8'))).toEqual(['2.5-3.5 Bonjour']);
  });
});
