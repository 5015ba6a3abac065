import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { captionFileName, DASH_MANIFEST_FILE, HLS_MASTER_FILE } from '@kiln/jobs';
import type { MediaInfo, SubtitleStreamInfo } from './media-info.js';

/** The folder of a stream output (HLS, CMAF) its caption tracks are written to. */
export const CAPTIONS_DIR = 'subs';

/** The HLS rendition group every variant names for its captions (`SUBTITLES="subs"`). */
const GROUP = 'subs';

/** One caption track of an output: the input's subtitle stream and its files, relative to the output. */
export interface CaptionTrack {
  stream: SubtitleStreamInfo;
  /** The whole track as one WebVTT file (a sidecar): `subs/captions-01.vtt`. */
  vtt: string;
  /** Its HLS media playlist: `subs/captions-01.m3u8`. */
  playlist: string;
  /** BCP 47 language tag (`en` for `eng`), or null when the stream has no usable language. */
  language: string | null;
  /** What a player's menu shows: the stream's title, else its language, else `Captions <n>`. */
  name: string;
}

/**
 * The caption tracks an input gives an output, in the input's order, their files in `dir` of it
 * (a stream output's {@link CAPTIONS_DIR}; the top of a `captions` output); empty without text subtitles.
 */
export function captionTracks(media: MediaInfo, dir: string = CAPTIONS_DIR): CaptionTrack[] {
  return (media.subtitles ?? []).map((stream, i) => {
    const vtt = path.posix.join(dir, captionFileName(i));
    const language = languageTag(stream.language);
    return {
      stream,
      vtt,
      playlist: vtt.replace(/\.vtt$/, '.m3u8'),
      language,
      name: stream.title?.trim() || displayName(language) || `Captions ${i + 1}`,
    };
  });
}

/**
 * The output options that write each track of `tracks` as WebVTT (ffmpeg converts SubRip, ASS and
 * MP4 timed text), to go after the whole input's {@link inputArgs}: demuxing only, no video or
 * audio. A clip's `range` is cut on the output side: seeking the input moves a subtitle stream to
 * its own nearest sample, which shifts its cues by a different amount than the other tracks'.
 */
export function captionOutputArgs(
  tracks: readonly CaptionTrack[],
  dir: string,
  range?: { startSeconds: number; durationSeconds: number },
): string[] {
  const cut = range ? ['-ss', range.startSeconds.toFixed(3), '-t', range.durationSeconds.toFixed(3)] : [];
  return tracks.flatMap((t) => [
    ...cut,
    '-map',
    `0:s:${t.stream.index}`,
    '-c:s',
    'webvtt',
    '-f',
    'webvtt',
    `file:${path.join(dir, t.vtt)}`,
  ]);
}

/**
 * Adds the caption tracks to a stream output whose WebVTT files are written: an HLS media playlist
 * per track (the whole track as one segment, with the `X-TIMESTAMP-MAP` that puts its cue times on
 * the video's timeline), an `EXT-X-MEDIA` subtitle rendition per track in the master with every
 * variant naming the group, and for CMAF a text adaptation set per track in the MPD.
 * `startSeconds` is where the output's own timestamps begin (MPEG-TS starts at 1.4 s), so that
 * cue time 0 is the video's first frame; `durationSeconds` the output's duration.
 */
export async function addCaptionTracks(
  dir: string,
  tracks: readonly CaptionTrack[],
  opts: { durationSeconds: number; startSeconds: number; dash: boolean },
): Promise<void> {
  if (tracks.length === 0) return;
  const target = Math.max(1, Math.ceil(opts.durationSeconds));
  const mpegts = Math.round(opts.startSeconds * 90_000);
  for (const t of tracks) {
    await writeFile(
      path.join(dir, t.playlist),
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        `#EXT-X-TARGETDURATION:${target}`,
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        `#EXTINF:${opts.durationSeconds.toFixed(3)},`,
        path.basename(t.vtt),
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
    const vtt = path.join(dir, t.vtt);
    await writeFile(vtt, withTimestampMap(await readFile(vtt, 'utf8'), mpegts));
  }
  const master = path.join(dir, HLS_MASTER_FILE);
  await writeFile(master, withSubtitleGroup(await readFile(master, 'utf8'), tracks));
  if (opts.dash) {
    const mpd = path.join(dir, DASH_MANIFEST_FILE);
    await writeFile(mpd, withTextAdaptationSets(await readFile(mpd, 'utf8'), tracks));
  }
}

/** The WebVTT text with `X-TIMESTAMP-MAP` in its header (HLS: cue time 0 is MPEG-TS time `mpegts`). */
function withTimestampMap(vtt: string, mpegts: number): string {
  const lines = vtt.replace(/^\uFEFF/, '').split('\n');
  if (lines.some((l) => l.startsWith('X-TIMESTAMP-MAP='))) return vtt;
  lines.splice(1, 0, `X-TIMESTAMP-MAP=MPEGTS:${mpegts},LOCAL:00:00:00.000`);
  return lines.join('\n');
}

/** The master playlist with a subtitle rendition per track and `SUBTITLES` on every variant. */
export function withSubtitleGroup(master: string, tracks: readonly CaptionTrack[]): string {
  const media = tracks.map((t, i) =>
    [
      '#EXT-X-MEDIA:TYPE=SUBTITLES',
      `GROUP-ID="${GROUP}"`,
      `NAME="${quoted(t.name)}"`,
      ...(t.language ? [`LANGUAGE="${t.language}"`] : []),
      `DEFAULT=${i === 0 ? 'YES' : 'NO'}`,
      'AUTOSELECT=YES',
      `URI="${t.playlist}"`,
    ].join(','),
  );
  const lines = master.split('\n').map((l) => (l.startsWith('#EXT-X-STREAM-INF:') ? `${l},SUBTITLES="${GROUP}"` : l));
  // Renditions go before the first variant that names them.
  const first = lines.findIndex((l) => l.startsWith('#EXT-X-STREAM-INF:'));
  lines.splice(first < 0 ? lines.length : first, 0, ...media);
  return lines.join('\n');
}

/** The MPD with a `text/vtt` adaptation set per track, each the whole WebVTT file as its one representation. */
function withTextAdaptationSets(mpd: string, tracks: readonly CaptionTrack[]): string {
  const sets = tracks
    .map(
      (t, i) =>
        `\t\t<AdaptationSet contentType="text" mimeType="text/vtt"${t.language ? ` lang="${t.language}"` : ''}>\n` +
        `\t\t\t<Label>${xml(t.name)}</Label>\n` +
        `\t\t\t<Role schemeIdUri="urn:mpeg:dash:role:2011" value="subtitle"/>\n` +
        `\t\t\t<Representation id="text${i}" bandwidth="256">\n` +
        `\t\t\t\t<BaseURL>${xml(t.vtt)}</BaseURL>\n` +
        `\t\t\t</Representation>\n` +
        `\t\t</AdaptationSet>\n`,
    )
    .join('');
  const end = mpd.lastIndexOf('</Period>');
  if (end < 0) throw new TypeError('the MPD has no Period to add caption tracks to');
  return mpd.slice(0, end) + sets + mpd.slice(end);
}

/** `eng` → `en`, `pt-BR` as it is; null for none, `und` and what is not a language tag. */
function languageTag(language: string | null): string | null {
  if (!language || language === 'und') return null;
  try {
    return Intl.getCanonicalLocales(language)[0] ?? null;
  } catch {
    return null;
  }
}

/** `en` → `English`, or null. */
function displayName(language: string | null): string | null {
  if (!language) return null;
  try {
    return new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' }).of(language) ?? null;
  } catch {
    return null;
  }
}

function quoted(text: string): string {
  return text.replace(/["\r\n]/g, "'");
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
