import {
  isTerminal,
  type InputProbe,
  type Job,
  type JobOutput,
  type JobStatus,
  type JobSummary,
  type OutputFile,
} from '@kiln/client';
import { formatBytes } from './format.js';

/** One labelled value of a detail list (`<dt>`/`<dd>`). */
export interface Fact {
  label: string;
  value: string;
}

/** What a job record becomes when a newer summary (an event's) is merged into it. */
export interface MergedJob {
  job: Job;
  /** The summary lacks something the view needs (files of a finished directory output, a cut record): read the job. */
  reread: boolean;
}

const BEFORE_PROBE = new Set<JobStatus>(['queued', 'probing']);
const AFTER_PROBE = new Set<JobStatus>(['encoding', 'storing']);

/**
 * Merges a newer summary into the job's full record by `seq`: undefined when the summary is not
 * newer (an equal seq keeps the record, which has the details). The summary's fields win; what
 * only the record has (`input`, `inputProbe`, `metadata`, each output's `files` while its status
 * is unchanged) is kept from it, and `reread` asks for the record when that changed.
 */
export function mergeSummary(record: Job, summary: JobSummary): MergedJob | undefined {
  if (summary.seq <= record.seq) return undefined;
  const { truncated, outputs: summaryOutputs, ...fields } = summary;
  const before = new Map(record.outputs.map((o) => [o.name, o]));
  let missingFiles = false;
  const outputs = summaryOutputs.map(({ fileCount, ...o }): JobOutput => {
    const prev = before.get(o.name);
    if (prev?.files !== undefined && prev.status === o.status) return { ...o, files: prev.files };
    if (o.status === 'completed' && fileCount !== undefined) missingFiles = true;
    return o;
  });
  const job: Job = {
    ...record,
    ...fields,
    outputs: truncated === true ? record.outputs : outputs,
    input: record.input,
    metadata: record.metadata,
  };
  const finished = isTerminal(summary.status) && summary.status !== record.status;
  // The probe (every attempt's own) is stored with the move to encoding, and no event carries it.
  const probed = BEFORE_PROBE.has(record.status) && AFTER_PROBE.has(summary.status);
  return { job, reread: truncated === true || missingFiles || finished || probed };
}

/** How the detail view shows a completed output. */
export type OutputMedia = 'video' | 'hls' | 'audio' | 'images' | 'none';

/**
 * The player an output gets, from its content type: hls.js for HLS, `<video>` for MP4/WebM, images
 * for thumbnails and an animated preview, and for a storyboard (its entry file is a WebVTT file)
 * the sprite image beside it. Captions (WebVTT too) have nothing to show but their links.
 */
export function outputMedia(output: Pick<JobOutput, 'contentType'> & Partial<Pick<JobOutput, 'preset'>>): OutputMedia {
  const type = output.contentType.toLowerCase();
  if (type === 'application/vnd.apple.mpegurl' || type === 'application/x-mpegurl') return 'hls';
  if (type === 'text/vtt') return output.preset === 'captions' ? 'none' : 'images';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  if (type.startsWith('image/')) return 'images';
  return 'none';
}

const IMAGE_FILE = /\.(jpe?g|png|webp|gif|avif)$/i;

/**
 * The URLs of an output's images (thumbnails, a storyboard's sprite), each resolved against the
 * output's signed URL (which names its entry file, so every file of the output inherits its
 * token). Without `files` (a summary), the entry file alone when it is an image (a preview, the
 * first thumbnail; not a storyboard's VTT).
 */
export function thumbnailUrls(signedUrl: string, files: readonly OutputFile[] | undefined): string[] {
  const images = (files ?? []).filter((f) => IMAGE_FILE.test(f.path));
  if (images.length === 0) return IMAGE_FILE.test(new URL(signedUrl).pathname) ? [signedUrl] : [];
  return images.map((f) => new URL(f.path.split('/').map(encodeURIComponent).join('/'), signedUrl).href);
}

/** "1:02:03.4" style duration, or an em dash. */
export function formatDuration(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '—';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const sec = s.toFixed(1).padStart(4, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** A timestamp as the browser's locale writes it, or an em dash. */
export function formatTimestamp(iso: string | null): string {
  if (iso === null) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** The job's state facts: status, priority, pool, attempts, timestamps, error. */
export function jobFacts(job: Job): Fact[] {
  const facts: Fact[] = [
    { label: 'Status', value: job.status },
    { label: 'Priority', value: job.priority },
    { label: 'Pool', value: job.pool },
    { label: 'Attempts', value: String(job.attempts) },
    { label: 'Created', value: formatTimestamp(job.createdAt) },
    { label: 'Started', value: formatTimestamp(job.startedAt) },
    { label: 'Finished', value: formatTimestamp(job.finishedAt) },
    { label: 'Updated', value: formatTimestamp(job.updatedAt) },
  ];
  if (job.error !== null) facts.push({ label: 'Error', value: `${job.error.message} (${job.error.code})` });
  return facts;
}

/**
 * What the job's record says about its input: where it came from, what the worker's ffprobe found
 * in it (duration, container, size, each stream), or "not probed yet" with the duration its
 * outputs were encoded from, and the job's metadata.
 */
export function inputFacts(job: Job): Fact[] {
  const facts: Fact[] = [{ label: 'Source', value: job.input }];
  const probe = job.inputProbe;
  if (probe) facts.push(...probeFacts(probe));
  else {
    facts.push({ label: 'Probe', value: 'not probed yet' });
    const durations = job.outputs.map((o) => o.durationSeconds).filter((d): d is number => typeof d === 'number');
    if (durations.length > 0) facts.push({ label: 'Duration', value: formatDuration(Math.max(...durations)) });
  }
  for (const [key, value] of Object.entries(job.metadata)) facts.push({ label: `metadata.${key}`, value });
  return facts;
}

/** The input's probe as facts: duration, container, size, then a line per stream ("none" when absent). */
export function probeFacts(probe: InputProbe): Fact[] {
  const facts: Fact[] = [{ label: 'Duration', value: formatDuration(probe.durationSeconds) }];
  if (probe.container !== null) facts.push({ label: 'Container', value: probe.container });
  const size = formatBytes(probe.sizeBytes);
  if (size) facts.push({ label: 'Size', value: size });
  facts.push({ label: 'Video', value: probe.video ? videoLine(probe.video) : 'none' });
  facts.push({ label: 'Audio', value: probe.audio ? audioLine(probe.audio) : 'none' });
  return facts;
}

function videoLine(v: NonNullable<InputProbe['video']>): string {
  const parts = [v.codec, `${v.width}×${v.height}`];
  if (v.fps !== null) parts.push(`${Number(v.fps.toFixed(3))} fps`);
  if (v.pixelFormat !== null) parts.push(v.pixelFormat);
  if (v.bitrateKbps !== null) parts.push(formatKbps(v.bitrateKbps));
  return parts.join(' · ');
}

function audioLine(a: NonNullable<InputProbe['audio']>): string {
  const parts = [a.codec];
  if (a.channels !== null) parts.push(a.channels === 1 ? 'mono' : a.channels === 2 ? 'stereo' : `${a.channels} ch`);
  if (a.sampleRate !== null) parts.push(`${Number((a.sampleRate / 1000).toFixed(3))} kHz`);
  if (a.bitrateKbps !== null) parts.push(formatKbps(a.bitrateKbps));
  return parts.join(' · ');
}

function formatKbps(kbps: number): string {
  return `${Math.round(kbps).toLocaleString('en-US')} kbit/s`;
}

/** One output's facts in a line: status, dimensions, size, bit rate, duration, files. */
export function outputDetail(o: JobOutput): string {
  const parts: string[] = [o.status, o.preset];
  if (o.width !== null && o.height !== null) parts.push(`${o.width}×${o.height}`);
  const size = formatBytes(o.sizeBytes);
  if (size) parts.push(size);
  if (typeof o.bitrateKbps === 'number') parts.push(formatKbps(o.bitrateKbps));
  if (typeof o.durationSeconds === 'number') parts.push(formatDuration(o.durationSeconds));
  if (o.files !== undefined) parts.push(`${o.files.length} file${o.files.length === 1 ? '' : 's'}`);
  return parts.join(' · ');
}
