import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { getPreset, type Preset } from '@kiln/jobs';
import { makeClip } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transcode } from './ffmpeg-transcode.adapter.js';
import { probe } from './ffprobe.adapter.js';
import type { MediaInfo } from './media-info.js';
import { TranscodeCancelledError, TranscodeError } from './media.errors.js';
import type { GroupOutput } from './one-decode-args.js';
import { transcodeGroup } from './one-decode.adapter.js';

const run = promisify(execFile);

/**
 * One thread per encoder: x264's rate control with a peak rate (VBV) and frame threads is not
 * repeatable (5 encodes of one 480p rung at 2 threads gave 3 different streams; at 1, one).
 */
const THREADS = 1;

/** The MD5 of each stream's packets, as stored (container bytes aside: WebM writes a random segment id). */
async function streamDigests(file: string): Promise<string[]> {
  const { stdout } = await run('ffmpeg', [
    '-v',
    'error',
    '-i',
    file,
    '-map',
    '0',
    '-c',
    'copy',
    '-f',
    'streamhash',
    '-',
  ]);
  return stdout.trim().split('\n');
}

/** Every file of a directory output with its bytes' MD5 (HLS playlists and segments, thumbnails). */
async function treeDigest(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = createHash('md5')
      .update(await readFile(file))
      .digest('hex');
  }
  return out;
}

/**
 * What an output holds, comparable across encodes: each stream's packets for a file, every file's
 * bytes for thumbnails, and the playlists for HLS (its x264 takes its own thread count, with which
 * rate control is not repeatable from one run to the next, so its segments' bytes may differ).
 */
async function contents(preset: Preset, output: string): Promise<unknown> {
  if (preset.kind === 'thumbnails') return treeDigest(output);
  if (preset.kind !== 'hls') return streamDigests(output);
  const tree = await treeDigest(output);
  const playlists = Object.keys(tree).filter((f) => f.endsWith('.m3u8'));
  return {
    files: Object.keys(tree).sort(),
    playlists: Object.fromEntries(playlists.map((f) => [f, tree[f]])),
  };
}

function outputsFor(dir: string, ids: readonly string[]): GroupOutput[] {
  return ids.map((id) => {
    const preset = getPreset(id)!;
    const directory = preset.kind === 'hls' || preset.kind === 'thumbnails';
    return { preset, output: path.join(dir, directory ? id : `${id}.${preset.extension}`) };
  });
}

describe('transcodeGroup (one decode, every output)', () => {
  let dir: string;
  let clip: string;
  let info: MediaInfo;
  let rotated: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kiln-one-decode-'));
    clip = await makeClip({ seconds: 2, width: 1280, height: 720 });
    info = await probe(clip);
    // A phone clip: stored 640x480 with square-ish pixels stretched (SAR 4:3), turned a quarter.
    rotated = path.join(dir, 'rotated-anamorphic.mp4');
    const vga = await makeClip({ seconds: 2, width: 640, height: 480 });
    const sar = path.join(dir, 'sar.mp4');
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-i',
      vga,
      '-vf',
      'setsar=4/3',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'copy',
      sar,
    ]);
    await run('ffmpeg', ['-v', 'error', '-y', '-i', sar, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated]);
  }, 60_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'writes a ladder, HLS, WebM, thumbnails and audio with the streams their own commands write, and reports progress',
    { timeout: 240_000 },
    async () => {
      const ids = ['mp4-720p', 'mp4-480p', 'mp4-360p', 'webm-720p', 'hls', 'thumbnails', 'audio-aac'];
      const grouped = outputsFor(path.join(dir, 'group'), ids);
      const alone = outputsFor(path.join(dir, 'alone'), ids);
      await Promise.all(['group', 'alone'].map((d) => mkdir(path.join(dir, d), { recursive: true })));
      const percents: number[] = [];
      const results = await transcodeGroup({
        input: clip,
        media: info,
        outputs: grouped,
        threads: THREADS,
        onProgress: (p) => percents.push(p.percent),
      });
      for (const o of alone)
        await transcode({ input: clip, media: info, output: o.output, preset: o.preset, threads: THREADS });

      for (const [i, o] of grouped.entries())
        expect(await contents(o.preset, o.output), o.preset.id).toEqual(await contents(o.preset, alone[i]!.output));
      // MP4s are the same bytes, not only the same streams.
      expect(await readFile(grouped[0]!.output)).toEqual(await readFile(alone[0]!.output));
      expect(results.map((r) => [r.width, r.height])).toEqual([
        [1280, 720],
        [854, 480],
        [640, 360],
        [1280, 720],
        [1280, 720],
        [640, 360],
        [null, null],
      ]);
      for (const r of results) expect(r.durationSeconds).toBeCloseTo(2, 0);
      expect(percents.length).toBeGreaterThan(0);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
    },
  );

  it('turns and unsqueezes a rotated anamorphic input as each output alone does', { timeout: 120_000 }, async () => {
    const media = await probe(rotated);
    const ids = ['mp4-480p', 'mp4-360p', 'thumbnails'];
    const grouped = outputsFor(path.join(dir, 'rot-group'), ids);
    const alone = outputsFor(path.join(dir, 'rot-alone'), ids);
    await Promise.all(['rot-group', 'rot-alone'].map((d) => mkdir(path.join(dir, d), { recursive: true })));
    const results = await transcodeGroup({ input: rotated, media, outputs: grouped, threads: THREADS });
    for (const o of alone)
      await transcode({ input: rotated, media, output: o.output, preset: o.preset, threads: THREADS });

    for (const [i, o] of grouped.entries())
      expect(await contents(o.preset, o.output), o.preset.id).toEqual(await contents(o.preset, alone[i]!.output));
    // 640x480 at SAR 4:3 shows as 853x480; turned upright, 480 wide and 853 tall (852, even): the 480p bound is its short side.
    expect(results[0]).toMatchObject({ width: 480, height: 852 });
  });

  it(
    'fails as one when an encoder refuses its picture, with the reason and no server path',
    { timeout: 60_000 },
    async () => {
      const tiny = await makeClip({ seconds: 1, width: 48, height: 48, audio: false });
      const media = await probe(tiny);
      const outputs = outputsFor(path.join(dir, 'tiny'), ['mp4-360p', 'mp4-av1-720p']);
      await mkdir(path.join(dir, 'tiny'), { recursive: true });
      const err = await transcodeGroup({ input: tiny, media, outputs, threads: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TranscodeError);
      expect(err).not.toBeInstanceOf(TranscodeCancelledError);
      expect((err as Error).message).toMatch(/exit code/);
      expect((err as Error).message).not.toContain(dir);
    },
  );

  it('stops its one ffmpeg on cancel', { timeout: 60_000 }, async () => {
    const outputs = outputsFor(path.join(dir, 'cancel'), ['mp4-720p', 'mp4-480p']);
    await mkdir(path.join(dir, 'cancel'), { recursive: true });
    const stop = new AbortController();
    const err = await transcodeGroup({
      input: clip,
      media: info,
      outputs,
      signal: stop.signal,
      onProgress: () => stop.abort(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TranscodeCancelledError);
  });
});
