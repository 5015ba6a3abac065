import type { Job, JobOutput, JobProgress } from '@kiln/client';

/** `45%`: whole percent, clamped to 0-100 (ffmpeg can overshoot the probed duration a little). */
export function formatPercent(percent: number): string {
  const p = Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0;
  return `${Math.floor(p)}%`;
}

/** `120 fps`, or `- fps` before ffmpeg reported one. */
export function formatFps(fps: number | null): string {
  return fps === null || !Number.isFinite(fps) ? '- fps' : `${Math.round(fps)} fps`;
}

/** Encoding speed as a multiple of real time: `4.1x`, or `-x` when unknown. */
export function formatSpeed(speed: number | null): string {
  if (speed === null || !Number.isFinite(speed)) return '-x';
  return `${speed >= 10 ? Math.round(speed) : speed.toFixed(1)}x`;
}

/** Remaining time as `m:ss` or `h:mm:ss`; `-:--` when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '-:--';
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Byte counts in decimal units (`1.2 MB`), `-` when unknown. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes) || bytes < 0) return '-';
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 'B';
  for (const u of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = u;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${unit}`;
}

/** A duration in seconds as `2.3s`, `1m05s` or `1h02m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The cells of a progress display, shared by the bar's payload and the plain lines. */
export function progressFields(
  status: string,
  progress: JobProgress,
): { status: string; percent: string; fps: string; speed: string; eta: string } {
  return {
    status,
    percent: formatPercent(progress.percent),
    fps: formatFps(progress.fps),
    speed: formatSpeed(progress.speed),
    eta: formatEta(progress.etaSeconds),
  };
}

/** One plain progress line, for logs and pipes: `encoding 45% | 120 fps | 4.1x | ETA 0:02`. */
export function formatProgressLine(job: Pick<Job, 'status' | 'progress'>): string {
  const f = progressFields(job.status, job.progress);
  return `${f.status} ${f.percent} | ${f.fps} | ${f.speed} | ETA ${f.eta}`;
}

/** How long a finished job took from creation to its end, when both timestamps are known. */
export function jobElapsedSeconds(job: Pick<Job, 'createdAt' | 'finishedAt'>): number | null {
  if (job.finishedAt === null) return null;
  const ms = Date.parse(job.finishedAt) - Date.parse(job.createdAt);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : null;
}

/** An output's dimensions and duration, e.g. `480x360 2.0s`; empty parts are left out. */
export function formatOutputShape(output: Pick<JobOutput, 'width' | 'height' | 'durationSeconds'>): string {
  const parts: string[] = [];
  if (output.width !== null && output.height !== null) parts.push(`${output.width}x${output.height}`);
  if (output.durationSeconds !== null) parts.push(formatDuration(output.durationSeconds));
  return parts.join(' ');
}

/** `2024-05-01 12:00:01Z`: an ISO time without milliseconds, readable in a table. */
export function formatTimestamp(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}
