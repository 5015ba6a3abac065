import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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
  fps?: number;
}

/**
 * A small H.264 (+AAC) MP4 made with ffmpeg's lavfi sources (testsrc2 + sine), cached for the
 * test run: the same spec returns the same path and concurrent calls share one ffmpeg. The file
 * is shared, so treat it as read-only (copy it to change it). Uses FFMPEG_PATH when set.
 */
export function makeClip(spec: ClipSpec): Promise<string> {
  const { seconds, width, height, audio = true, fps = 25 } = spec;
  const id = `${seconds}s-${width}x${height}-${fps}fps-${audio ? 'av' : 'v'}`;
  let clip = clips.get(id);
  if (!clip) {
    clip = (async () => {
      const file = path.join(await clipDir(), `${id}.mp4`);
      const args = [
        '-v',
        'error',
        '-nostdin',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`,
      ];
      if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`);
      args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
      if (audio) args.push('-c:a', 'aac', '-b:a', '64k');
      args.push('-t', String(seconds), '-movflags', '+faststart', file);
      await run(process.env.FFMPEG_PATH ?? 'ffmpeg', args);
      return file;
    })();
    // A failure is not cached: the next call tries again (and reports its own error).
    clip.catch(() => clips.delete(id));
    clips.set(id, clip);
  }
  return clip;
}

/** A file of random bytes named like a video (`.mp4`): ffprobe and ffmpeg reject it. */
export async function makeCorruptFile(bytes = 64 * 1024): Promise<string> {
  const file = path.join(await clipDir(), `corrupt-${randomBytes(4).toString('hex')}.mp4`);
  await writeFile(file, randomBytes(bytes));
  return file;
}
