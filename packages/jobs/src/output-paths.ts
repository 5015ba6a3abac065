import type { JobOutput } from './job.schema.js';
import { getPreset, isDirectoryPreset, type DirectoryPreset, type Preset } from './presets.js';

/**
 * The master playlist of an HLS or CMAF output, at the top of its folder (HLS renditions are
 * `v<N>/index.m3u8`; CMAF's media playlists are `media_<N>.m3u8` beside it).
 */
export const HLS_MASTER_FILE = 'master.m3u8';

/** The DASH manifest of a CMAF output, beside its HLS master playlist; both list the same segments. */
export const DASH_MANIFEST_FILE = 'manifest.mpd';

/** ffmpeg's image2 pattern for the files of a thumbnails output; numbering starts at 1 (`thumb-01.jpg`). */
export const THUMBNAIL_FILE_PATTERN = 'thumb-%02d.jpg';

/** The WebVTT file of a storyboard output, its entry file: its cues name {@link STORYBOARD_SPRITE_FILE} by this relative name. */
export const STORYBOARD_VTT_FILE = 'storyboard.vtt';

/** The sprite image of a storyboard output, beside its VTT file. */
export const STORYBOARD_SPRITE_FILE = 'storyboard.jpg';

/** The WebVTT files of a captions output, one per text subtitle stream of the input, numbered from 1 (`captions-01.vtt`). */
export function captionFileName(index: number): string {
  return `captions-${String(index + 1).padStart(2, '0')}.vtt`;
}

/**
 * The file a directory output is entered by: the master playlist of HLS and CMAF (CMAF's DASH
 * manifest, {@link DASH_MANIFEST_FILE}, is its sibling), the first image of thumbnails (there is no
 * listing file; the others are its siblings, named in the job's `files`), the VTT file of a
 * storyboard (its cues name the sprite beside it), the first track of captions.
 */
export function directoryEntryFile(preset: DirectoryPreset): string {
  switch (preset.kind) {
    case 'hls':
    case 'cmaf':
      return HLS_MASTER_FILE;
    case 'thumbnails':
      return THUMBNAIL_FILE_PATTERN.replace('%02d', '01');
    case 'storyboard':
      return STORYBOARD_VTT_FILE;
    case 'captions':
      return captionFileName(0);
  }
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

/**
 * An output as the job store keeps it: without `downloadPath`, which is the API's URL and not a
 * fact about the output. Records written before this rule may still hold one; it is ignored.
 */
export type StoredJobOutput = Omit<JobOutput, 'downloadPath'> & { downloadPath?: string | null };

/** `output` without its `downloadPath`, for the job store (see {@link StoredJobOutput}). */
export function storedOutput(output: StoredJobOutput): Omit<JobOutput, 'downloadPath'> {
  const { downloadPath: _derived, ...stored } = output;
  return stored;
}

/**
 * `output` with its `downloadPath` as read from the store: the path {@link outputDownloadPath}
 * builds once the output is completed, null before (or for a preset this version does not know).
 * The one place a job's `downloadPath` is set, so the worker never writes the API's URL.
 */
export function withDownloadPath(jobId: string, output: StoredJobOutput): JobOutput {
  const preset = getPreset(output.preset);
  const downloadPath = output.status === 'completed' && preset ? outputDownloadPath(jobId, output, preset) : null;
  return { ...storedOutput(output), downloadPath };
}
