import type { JobOutput } from './job.schema.js';
import { isDirectoryPreset, type HlsPreset, type Preset, type ThumbnailsPreset } from './presets.js';

/** The master playlist of an HLS output, at the top of its folder (renditions are `v<N>/index.m3u8`). */
export const HLS_MASTER_FILE = 'master.m3u8';

/** ffmpeg's image2 pattern for the files of a thumbnails output; numbering starts at 1 (`thumb-01.jpg`). */
export const THUMBNAIL_FILE_PATTERN = 'thumb-%02d.jpg';

/**
 * The file a directory output is entered by: the master playlist of HLS, the first image of
 * thumbnails (there is no listing file; the others are its siblings, named in the job's `files`).
 */
export function directoryEntryFile(preset: HlsPreset | ThumbnailsPreset): string {
  return preset.kind === 'hls' ? HLS_MASTER_FILE : THUMBNAIL_FILE_PATTERN.replace('%02d', '01');
}

/**
 * The API path that streams an output: `/v1/jobs/<id>/outputs/<name>` for a file output, and
 * `/v1/jobs/<id>/outputs/<name>/<entry file>` for a directory output, so that the relative URIs
 * inside its playlists (and the paths in its `files`) resolve to files the API serves.
 */
export function outputDownloadPath(jobId: string, output: Pick<JobOutput, 'name'>, preset: Preset): string {
  const base = `/v1/jobs/${encodeURIComponent(jobId)}/outputs/${encodeURIComponent(output.name)}`;
  return isDirectoryPreset(preset) ? `${base}/${directoryEntryFile(preset)}` : base;
}
