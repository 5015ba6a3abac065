import type { Preset } from '@kiln/jobs';
import type { MediaChunk, MediaInfo, TranscodeResult } from '@kiln/media';

/**
 * A chunked encode's plan, stored with the job (JSON) so any worker can encode any chunk and any
 * worker can stitch: the chunks, the video renditions each chunk encodes, and the probe result.
 */
export interface ChunkPlan {
  chunks: MediaChunk[];
  /** The presets of the job's outputs encoded in chunks, once each. */
  presets: string[];
  /** The video renditions every chunk encodes (one decode, one file each), by key. */
  renditions: string[];
  /** The input's probe result: chunk workers do not probe again. */
  media: MediaInfo;
  /** Seconds from the file's start to its first video frame (where the audio encoded once starts). */
  videoStartSeconds: number;
  /** Seconds of input from the first frame to the end. */
  durationSeconds: number;
  /**
   * Seconds of input encoded in all, for the job's one progress: the chunks' (the input once) and
   * the input once more for each output the job's own run encodes whole.
   */
  units: number;
}

/** What the worker asks of the media toolkit to encode a job in chunks. */
export interface ChunkMedia {
  /** Whether `preset` is encoded in chunks (H.264 MP4 rungs and HLS). */
  isChunkable(preset: Preset): boolean;
  /** Reads the input's frame timestamps and cuts it into chunks of about `chunkSeconds`, for these presets. */
  plan(
    input: string,
    media: MediaInfo,
    opts: { presets: Preset[]; chunkSeconds: number; signal?: AbortSignal | undefined },
  ): Promise<Pick<ChunkPlan, 'chunks' | 'renditions' | 'videoStartSeconds'>>;
  /** Encodes one chunk to every rendition (`outputs`: rendition key → file); resolves once each file is checked. */
  encodeChunk(req: {
    input: string;
    media: MediaInfo;
    presets: Preset[];
    chunk: MediaChunk;
    outputs: Record<string, string>;
    threads: number;
    signal: AbortSignal;
    /** Seconds of the chunk encoded so far. */
    onProgress: (seconds: number) => void;
  }): Promise<void>;
  /** The audio bit rates the presets need, each encoded once for the whole input. */
  audioBitrates(presets: Preset[], media: MediaInfo): number[];
  /** Encodes the input's audio once, at `kbps`, from the video's first frame on. */
  encodeAudio(req: {
    input: string;
    media: MediaInfo;
    kbps: number;
    videoStartSeconds: number;
    output: string;
    threads: number;
    signal: AbortSignal;
  }): Promise<void>;
  /** Stitches one output from its encoded chunks (per rendition, in order) and the audio encoded once. */
  stitch(req: {
    preset: Preset;
    media: MediaInfo;
    chunks: MediaChunk[];
    /** Rendition key → the chunk files in chunk order. */
    files: Record<string, string[]>;
    /** Bit rate → the audio file. */
    audio: Record<number, string>;
    output: string;
    /** A folder of the run's own for the concat lists. */
    workDir: string;
    signal: AbortSignal;
  }): Promise<TranscodeResult>;
}

/** A chunk's BullMQ-visible outcome, for logs and tests. */
export type ChunkOutcome = 'stored' | 'skipped' | 'failed' | 'stopped';

/** The name of a stored chunk file: `c<index>-<runId>/<rendition>.mp4`. */
export function chunkFileName(index: number, runId: string, rendition: string): string {
  return `${chunkRunFolder(index, runId)}/${rendition}.mp4`;
}

/** The folder of one run's files of one chunk. */
export function chunkRunFolder(index: number, runId: string): string {
  return `c${String(index).padStart(5, '0')}-${runId}`;
}

/** The stored input every chunk reads. */
export const SOURCE_FILE = 'source';

/** The stored audio at `kbps`, encoded once. */
export function audioFileName(kbps: number): string {
  return `audio-${kbps}.m4a`;
}
