import type { Preset } from '@kiln/jobs';

/** How long an output may take on the wall clock: `factor` × its duration + `floorSeconds`. */
export interface EncodeBudget {
  factor: number;
  floorSeconds: number;
}

/** The wall-clock budget, in ms, of an output of `durationSeconds`. */
export function encodeBudgetMs(durationSeconds: number, budget: EncodeBudget): number {
  return Math.ceil((budget.factor * Math.max(0, durationSeconds) + budget.floorSeconds) * 1000);
}

/** Slack over the preset's peak rate: muxing overhead, VBV and rate-control excursions. */
const FILE_SLACK = 2;
/** Every output may write at least this much (short clips, headers, playlists, images). */
const FILE_FLOOR_BYTES = 256 * 1024 * 1024;

/**
 * The largest single file an encode of `durationSeconds` to `preset` may write (RLIMIT_FSIZE):
 * twice its peak bit rate (video `-maxrate` plus audio, every rung for HLS and CMAF) over the duration, plus
 * 256 MiB. Far above what a real output reaches, so it only stops a runaway that would fill the disk.
 */
export function outputFileLimitBytes(preset: Preset, durationSeconds: number): number {
  return Math.ceil(FILE_SLACK * ((peakKbps(preset) * 1000) / 8) * Math.max(0, durationSeconds)) + FILE_FLOOR_BYTES;
}

function peakKbps(preset: Preset): number {
  switch (preset.kind) {
    case 'mp4':
    case 'webm':
      return preset.video.maxrateKbps + preset.audio.bitrateKbps;
    case 'hls':
    case 'cmaf':
      return preset.renditions.reduce((sum, r) => sum + r.maxrateKbps + r.audioKbps, 0);
    case 'audio':
      return preset.audio.bitrateKbps;
    case 'thumbnails':
    case 'storyboard':
    case 'preview':
    case 'captions':
      return 0;
  }
}

/**
 * CPU seconds (RLIMIT_CPU, summed over threads) for a wall-clock budget on `cores` cores: what
 * every core busy for the whole budget would use, so it can only stop an ffmpeg the budget timer
 * failed to (its worker frozen, say).
 */
export function cpuSecondsFor(budgetMs: number, cores: number): number {
  return Math.ceil((budgetMs / 1000) * Math.max(1, cores)) + 10;
}
