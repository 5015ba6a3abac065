/** One progress report, as Kiln's jobs show it (same shape as `JobProgress` in `@kiln/jobs`). */
export interface TranscodeProgress {
  /** 0-100: ffmpeg's output position against the probed duration, clamped. */
  percent: number;
  /** Frames encoded per second, or null before ffmpeg knows. */
  fps: number | null;
  /** Encoding speed as a multiple of real time, or null before ffmpeg knows. */
  speed: number | null;
  /** Seconds left at the current speed, or null when the speed is unknown. */
  etaSeconds: number | null;
}

/** One `-progress` block of ffmpeg, with the fields Kiln reads. */
export interface FfmpegProgressBlock {
  /** Position in the output, in seconds, or null while ffmpeg says `N/A`. */
  outTimeSeconds: number | null;
  /** ffmpeg's own frame rate; version 5 reports 0 until its first second has passed. */
  fps: number | null;
  /** Frames written so far, or null when ffmpeg does not say. */
  frames: number | null;
  speed: number | null;
  /** True for the last block (`progress=end`). */
  end: boolean;
}

/**
 * Splits ffmpeg's `-progress` output (`key=value` lines, each block closed by `progress=continue`
 * or `progress=end`) into blocks. Feed it chunks as they arrive; lines may be cut anywhere.
 */
export class FfmpegProgressParser {
  private partial = '';
  private fields = new Map<string, string>();

  /** Adds a chunk of output and returns the blocks it completed, oldest first. */
  push(chunk: string): FfmpegProgressBlock[] {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    const blocks: FfmpegProgressBlock[] = [];
    for (const raw of lines) {
      const line = raw.trim();
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1).trim();
      if (key === 'progress') {
        blocks.push(toBlock(this.fields, value === 'end'));
        this.fields = new Map();
      } else {
        this.fields.set(key, value);
      }
    }
    return blocks;
  }
}

/**
 * Maps a progress block onto a {@link TranscodeProgress} for an input of `durationSeconds`.
 * The final block always reads 100 % with no time left. ffmpeg 5 says `fps=0.00` for the whole
 * first second of an encode (and for all of a short one); when it does and `elapsedSeconds` (our own
 * clock since ffmpeg started) is given, the rate is frames written over elapsed time instead.
 */
export function toTranscodeProgress(
  block: FfmpegProgressBlock,
  durationSeconds: number,
  elapsedSeconds?: number,
): TranscodeProgress {
  const fps = frameRate(block, elapsedSeconds);
  if (block.end) return { percent: 100, fps, speed: block.speed, etaSeconds: 0 };
  const done = block.outTimeSeconds ?? 0;
  const percent = durationSeconds > 0 ? clamp((done / durationSeconds) * 100, 0, 100) : 0;
  const left = Math.max(0, durationSeconds - done);
  const etaSeconds = block.speed && block.speed > 0 && durationSeconds > 0 ? round1(left / block.speed) : null;
  return { percent: round1(percent), fps, speed: block.speed, etaSeconds };
}

function frameRate(block: FfmpegProgressBlock, elapsedSeconds: number | undefined): number | null {
  if (block.fps !== null && block.fps > 0) return block.fps;
  if (block.frames !== null && block.frames > 0 && elapsedSeconds !== undefined && elapsedSeconds > 0)
    return round1(block.frames / elapsedSeconds);
  return block.fps;
}

function toBlock(fields: Map<string, string>, end: boolean): FfmpegProgressBlock {
  return {
    outTimeSeconds: outTime(fields),
    fps: number(fields.get('fps')),
    frames: number(fields.get('frame')),
    speed: number(fields.get('speed')?.replace(/x$/, '')),
    end,
  };
}

/** `out_time_us`, else `out_time_ms` (also microseconds, despite its name), else `out_time` (HH:MM:SS.micro). */
function outTime(fields: Map<string, string>): number | null {
  const us = number(fields.get('out_time_us')) ?? number(fields.get('out_time_ms'));
  if (us !== null) return Math.max(0, us / 1e6);
  const m = /^(-?\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(fields.get('out_time') ?? '');
  return m ? Math.max(0, Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) : null;
}

function number(value: string | undefined): number | null {
  if (value === undefined || value === '' || value === 'N/A') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
