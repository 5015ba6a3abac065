import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { getPreset, type HlsPreset, type Preset } from '@kiln/jobs';
import type { FfmpegMediaAdapter } from '@kiln/media';
import {
  alignedChunkSeconds,
  buildAudioArgs,
  buildChunkArgs,
  buildStitchHlsArgs,
  buildStitchMp4Args,
  ChunkFrameMismatchError,
  chunkRenditions,
  concatList,
  hlsRungs,
  isChunkable,
  planChunks,
  setMasterBandwidths,
  videoStartSeconds,
  type MediaInfo,
} from '@kiln/media';
import type { ChunkMedia } from './chunk-plan.js';

/**
 * {@link ChunkMedia} on ffmpeg: frames listed by ffprobe, chunk encodes and stitches run under the
 * worker's media limits and sandbox (the same adapter as whole encodes).
 */
export class FfmpegChunkMedia implements ChunkMedia {
  constructor(
    private readonly ffmpeg: Pick<FfmpegMediaAdapter, 'runArgs' | 'scanFrames'>,
    private readonly maxPixels?: number,
  ) {}

  isChunkable(preset: Preset): boolean {
    return isChunkable(preset);
  }

  async plan(input: string, media: MediaInfo, opts: { presets: Preset[]; chunkSeconds: number; signal?: AbortSignal }) {
    const scan = await this.ffmpeg.scanFrames(input, opts.signal);
    return {
      chunks: planChunks(scan, alignedChunkSeconds(opts.presets, opts.chunkSeconds)),
      renditions: chunkRenditions(opts.presets, media).map((r) => r.key),
      videoStartSeconds: videoStartSeconds(scan),
    };
  }

  async encodeChunk(req: Parameters<ChunkMedia['encodeChunk']>[0]): Promise<void> {
    const { chunk } = req;
    const renditions = chunkRenditions(req.presets, req.media).map((r) => ({ ...r, output: req.outputs[r.key]! }));
    const seconds = chunk.endSeconds - chunk.startSeconds;
    const args = buildChunkArgs({
      input: req.input,
      chunk,
      renditions,
      threads: req.threads,
      maxPixels: this.maxPixels,
      media: req.media,
    });
    await this.ffmpeg.runArgs(args, {
      input: req.input,
      output: renditions[0]!.output,
      preset: req.presets[0]!,
      // The chunk's own length: its progress, budget and file limits are a chunk's.
      media: { ...req.media, durationSeconds: seconds },
      signal: req.signal,
      onProgress: (p) => req.onProgress((p.percent / 100) * seconds),
    });
    for (const r of renditions) {
      const frames = (await this.ffmpeg.scanFrames(r.output, req.signal)).pts.length;
      if (frames !== chunk.frames)
        throw new ChunkFrameMismatchError(
          `chunk ${chunk.index} (${chunk.startSeconds.toFixed(3)}–${chunk.endSeconds.toFixed(3)} s) came out with ${frames} frames in ${r.key}, not ${chunk.frames}`,
        );
    }
  }

  audioBitrates(presets: Preset[], media: MediaInfo): number[] {
    if (!media.audio || !media.video) return [];
    const rates = presets.flatMap((p) =>
      p.kind === 'mp4'
        ? [p.audio.bitrateKbps]
        : p.kind === 'hls'
          ? hlsRungs(media, p).map((r) => r.rendition.audioKbps)
          : [],
    );
    return [...new Set(rates)];
  }

  async encodeAudio(req: Parameters<ChunkMedia['encodeAudio']>[0]): Promise<void> {
    const args = buildAudioArgs(req);
    await this.ffmpeg.runArgs(args, {
      input: req.input,
      output: req.output,
      preset: getPreset('audio-aac')!,
      media: req.media,
      signal: req.signal,
    });
  }

  async stitch(req: Parameters<ChunkMedia['stitch']>[0]) {
    const { preset } = req;
    const list = async (key: string) => {
      const file = path.join(req.workDir, `${key}.ffconcat`);
      await writeFile(file, concatList(req.files[key]!, req.chunks));
      return file;
    };
    const renditions = chunkRenditions([preset], req.media);
    const run = (args: string[]) =>
      this.ffmpeg.runArgs(args, {
        input: req.output,
        output: req.output,
        preset,
        media: req.media,
        signal: req.signal,
      });
    if (preset.kind !== 'hls') {
      const audio = preset.kind === 'mp4' ? (req.audio[preset.audio.bitrateKbps] ?? null) : null;
      return run(buildStitchMp4Args({ list: await list(renditions[0]!.key), audio, output: req.output }));
    }
    const rungs = hlsRungs(req.media, preset);
    for (let i = 0; i < rungs.length; i++) await mkdir(path.join(req.output, `v${i}`), { recursive: true });
    const lists = await Promise.all(renditions.map((r) => list(r.key)));
    const audio = rungs.map((r) => req.audio[r.rendition.audioKbps]).filter((a): a is string => a !== undefined);
    const result = await run(
      buildStitchHlsArgs({ lists, audio, segmentSeconds: (preset as HlsPreset).segmentSeconds, output: req.output }),
    );
    await setMasterBandwidths(req.output);
    return result;
  }
}
