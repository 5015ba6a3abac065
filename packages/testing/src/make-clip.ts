import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
let dirPromise: Promise<string> | undefined;
const clips = new Map<string, Promise<string>>();

/** One temp dir per test process for every clip it makes. */
function clipDir(): Promise<string> {
  dirPromise ??= mkdtemp(path.join(tmpdir(), 'kiln-clips-'));
  return dirPromise;
}

/** What {@link makeClip} makes. */
export interface ClipSpec {
  seconds: number;
  width: number;
  height: number;
  /** Add a 440 Hz AAC track (default true). */
  audio?: boolean;
  /** A solid colour (ffmpeg's name, e.g. `black`) instead of the testsrc2 pattern. */
  color?: string;
  fps?: number;
  /** Sample rate of the audio track (default 48000). */
  sampleRate?: number;
  /**
   * Put the `moov` index before the media data (default true). Off, the file ends with it as
   * ffmpeg writes by default, so a truncated copy has no index.
   */
  faststart?: boolean;
}

/**
 * The file `name` in the clip dir, made once per test run by ffmpeg with `args` (inputs and
 * encoding, the output file appended): concurrent calls share one ffmpeg.
 */
function madeOnce(name: string, args: string[]): Promise<string> {
  let made = clips.get(name);
  if (!made) {
    made = (async () => {
      const file = path.join(await clipDir(), name);
      await run(process.env.FFMPEG_PATH ?? 'ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args, file]);
      return file;
    })();
    // A failure is not cached: the next call tries again (and reports its own error).
    made.catch(() => clips.delete(name));
    clips.set(name, made);
  }
  return made;
}

/**
 * A small H.264 (+AAC) MP4 made with ffmpeg's lavfi sources (testsrc2 + sine), cached for the
 * test run: the same spec returns the same path and concurrent calls share one ffmpeg. The file
 * is shared, so treat it as read-only (copy it to change it). Uses FFMPEG_PATH when set.
 */
export function makeClip(spec: ClipSpec): Promise<string> {
  const { seconds, width, height, audio = true, fps = 25, sampleRate = 48000, faststart = true, color } = spec;
  // Non-default options only add to the name, so the clips of earlier specs keep theirs.
  const id = [
    `${seconds}s-${width}x${height}-${fps}fps-${audio ? 'av' : 'v'}`,
    ...(audio && sampleRate !== 48000 ? [`${sampleRate}hz`] : []),
    ...(faststart ? [] : ['moov-last']),
    ...(color ? [color] : []),
  ].join('-');
  const picture = color ? `color=c=${color}:` : 'testsrc2=';
  const args = ['-f', 'lavfi', '-i', `${picture}size=${width}x${height}:rate=${fps}:duration=${seconds}`];
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${sampleRate}:duration=${seconds}`);
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (audio) args.push('-c:a', 'aac', '-b:a', '64k');
  args.push('-t', String(seconds), ...(faststart ? ['-movflags', '+faststart'] : []));
  return madeOnce(`${id}.mp4`, args);
}

/**
 * A one-frame solid PNG (red unless `color` says), cached like {@link makeClip}. At 8192x8192 it
 * is a few kilobytes on disk and 256 MiB decoded: the picture the frame-size limits must refuse.
 */
export function makePng(size: { width: number; height: number; color?: string }): Promise<string> {
  const { width, height, color = 'red' } = size;
  return madeOnce(`${color}-${width}x${height}.png`, [
    '-f',
    'lavfi',
    '-i',
    `color=c=${color}:size=${width}x${height}`,
    '-frames:v',
    '1',
  ]);
}

/** A subtitle stream to add with {@link withSubtitles}: its ISO 639-2 language and its cues as SubRip. */
export interface SubtitleSpec {
  language: string;
  srt: string;
}

/**
 * `clip` (an MP4) with a text subtitle stream per entry of `subtitles` (MP4 timed text, converted
 * from SubRip, each with its `language` tag), its other streams copied; cached like {@link makeClip}.
 */
export async function withSubtitles(clip: string, subtitles: readonly SubtitleSpec[]): Promise<string> {
  const key = createHash('sha256')
    .update(JSON.stringify([clip, subtitles]))
    .digest('hex')
    .slice(0, 16);
  const dir = await clipDir();
  const srts = await Promise.all(
    subtitles.map(async (s, i) => {
      const file = path.join(dir, `subs-${key}-${i}.srt`);
      await writeFile(file, s.srt);
      return file;
    }),
  );
  return madeOnce(`subtitled-${key}.mp4`, [
    '-i',
    clip,
    ...srts.flatMap((f) => ['-i', f]),
    '-map',
    '0',
    ...srts.flatMap((_, i) => ['-map', String(i + 1)]),
    '-c',
    'copy',
    '-c:s',
    'mov_text',
    ...subtitles.flatMap((s, i) => [`-metadata:s:s:${i}`, `language=${s.language}`]),
  ]);
}

/**
 * 720 frames of 320x240 H.264 whose timestamps jump `jumpSeconds` every other frame: a small MP4
 * declaring hours, cached like {@link makeClip}.
 */
export function makeGapClip(jumpSeconds: number): Promise<string> {
  return madeOnce(`gap-${jumpSeconds}s.mp4`, [
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=25',
    '-frames:v',
    '720',
    '-vf',
    `setpts='(N+floor(N/2)*${jumpSeconds * 25})/25/TB'`,
    '-fps_mode',
    'passthrough',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-crf',
    '35',
  ]);
}

/** A file of random bytes named like a video (`.mp4`): ffprobe and ffmpeg reject it. */
export async function makeCorruptFile(bytes = 64 * 1024): Promise<string> {
  const file = path.join(await clipDir(), `corrupt-${randomBytes(4).toString('hex')}.mp4`);
  await writeFile(file, randomBytes(bytes));
  return file;
}
