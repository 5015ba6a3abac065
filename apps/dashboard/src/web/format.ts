/** Short form of a job id for the table; the full id goes in a title attribute. */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

/** Percent clamped to 0-100 and rounded to a whole number (what the bar and data-percent show). */
export function percentOf(value: unknown): number {
  const n = typeof value === 'number' && Number.isFinite(value) ? value : 0;
  return Math.round(Math.min(100, Math.max(0, n)));
}

/** Frames per second, or an em dash when unknown. */
export function formatFps(fps: number | null | undefined): string {
  return typeof fps === 'number' && Number.isFinite(fps) ? fps.toFixed(fps < 10 ? 1 : 0) : '—';
}

/** Speed as a multiple of real time ("2.4×"), or an em dash when unknown. */
export function formatSpeed(speed: number | null | undefined): string {
  return typeof speed === 'number' && Number.isFinite(speed) ? `${speed.toFixed(speed < 10 ? 1 : 0)}×` : '—';
}

/** Remaining time as "45s", "3m 05s" or "1h 02m"; an em dash when unknown. */
export function formatEta(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** File size in B/KB/MB/GB (powers of 1024). */
export function formatBytes(bytes: number | null | undefined): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 || v >= 10 ? 0 : 1)} ${units[u]}`;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** A creation time: the clock time for today, date and time otherwise. */
export function formatCreated(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toDateString() === now.toDateString() ? timeFmt.format(d) : dateTimeFmt.format(d);
}

/** Checks a new job's input the way the API will: an http(s):// URL or a file:// path. */
export function inputProblem(input: string): string | undefined {
  const s = input.trim();
  if (s.length === 0) return 'Enter an input: an http(s):// URL or a file:// path.';
  if (!/^(https?|file):\/\/\S+$/i.test(s)) return 'The input must start with http://, https:// or file://.';
  return undefined;
}
