import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { getPreset, isDirectoryPreset, outputFileName, type Job, type JobOutput, type Preset } from '@kiln/jobs';
import type { ByteRange, OutputRef, OutputStorage } from '@kiln/storage';
import type { Request, Response } from 'express';
import { NotFoundError } from '../http.errors.js';

/** Media types of the files a directory output can hold (HLS in MPEG-TS or fMP4, DASH, subtitles, images); anything else is octet-stream. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.vtt': 'text/vtt; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.json': 'application/json; charset=utf-8',
};

/** A completed output with its job and preset: what the output routes (`/v1/.../outputs`, `/play`) serve from. */
export interface CompletedOutput {
  job: Job;
  output: JobOutput;
  preset: Preset;
}

/** The job's completed output named `name`; a 404 for no job, an unknown name or an unfinished output. */
export function completedOutput(job: Job | null, name: string): CompletedOutput {
  const output = job?.outputs.find((o) => o.name === name);
  const preset = output && getPreset(output.preset);
  if (!job || !output || output.status !== 'completed' || !preset) throw new NotFoundError('output');
  return { job, output, preset };
}

/**
 * The stored file of an output to answer with: the whole file of a file output (`file`
 * undefined), or one file listed in a directory output's `files`; anything else is a 404.
 */
export function storedFileOf({ job, output, preset }: CompletedOutput, file: string | undefined): StoredFile {
  if (file === undefined) {
    if (isDirectoryPreset(preset)) throw new NotFoundError('output file');
    return {
      ref: { customerId: job.customerId, jobId: job.id, name: outputFileName(output.name, preset) },
      file: undefined,
      type: output.contentType,
      validators: validatorsOf(job, output.checksum),
    };
  }
  const listed = isDirectoryPreset(preset) ? output.files?.find((f) => f.path === file) : undefined;
  if (!listed) throw new NotFoundError('output file');
  return {
    ref: { customerId: job.customerId, jobId: job.id, name: output.name },
    file,
    type: CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    validators: validatorsOf(job, listed.checksum),
  };
}

/** One stored file to answer with, and how to describe it. */
export interface StoredFile {
  ref: OutputRef;
  /** Path inside a directory output; undefined for a file output. */
  file: string | undefined;
  type: string;
  validators: Validators;
  /** Sets `Content-Disposition: attachment` with this name. */
  downloadName?: string;
}

/**
 * Answers with the stored file: 200 whole, 206 for one satisfiable byte range, 416 for a range
 * past the end. Several ranges or a malformed header get the whole file, as `send` does. The
 * bytes are piped from the storage as they come (an S3 object is never held in memory).
 * The recorded checksum is the strong `ETag` and the job's finish time `Last-Modified`, so a
 * client's cached copy gets a 304, and a resumed download whose `If-Range` no longer matches (the
 * job was retried) gets the whole new file instead of a slice of it.
 */
export async function sendStoredFile(
  storage: OutputStorage,
  req: Request,
  res: Response,
  stored: StoredFile,
): Promise<void> {
  const { ref, file, type, validators, downloadName } = stored;
  const found = await storage.stat(ref, file);
  if (!found) throw new NotFoundError('output file');
  const size = found.sizeBytes;
  res.set('Accept-Ranges', 'bytes');
  if (validators.etag) res.set('ETag', validators.etag);
  if (validators.lastModified) res.set('Last-Modified', validators.lastModified);
  if (req.fresh) {
    res.status(304).end();
    return;
  }
  let range: ByteRange | undefined;
  const ifRange = req.get('If-Range');
  const rangeApplies = ifRange === undefined || (validators.etag !== undefined && ifRange === validators.etag);
  const ranges = req.headers.range && rangeApplies ? req.range(size, { combine: true }) : undefined;
  if (ranges === -1) {
    res.status(416).set('Content-Range', `bytes */${size}`).end();
    return;
  }
  if (Array.isArray(ranges) && ranges.type === 'bytes' && ranges.length === 1)
    range = { start: ranges[0]!.start, end: ranges[0]!.end };
  const opened = await storage.open(ref, file, range);
  // Gone between the two calls (a retried job replacing its outputs): as missing as before.
  if (!opened) throw new NotFoundError('output file');
  res.type(type);
  if (downloadName) res.attachment(downloadName);
  if (range) res.status(206).set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
  res.set('Content-Length', String(range ? range.end - range.start + 1 : size));
  if (req.method === 'HEAD') {
    opened.body.destroy();
    res.end();
    return;
  }
  try {
    await pipeline(opened.body, res);
  } catch {
    // The client went away or the storage failed mid-body: pipeline destroyed both ends, and
    // with the status line sent there is nothing else to tell the client.
  }
}

/** HTTP validators of one stored file. */
interface Validators {
  etag?: string | undefined;
  lastModified?: string | undefined;
}

function validatorsOf(job: Job, checksum: string | null | undefined): Validators {
  const hex = checksum?.startsWith('sha256:') ? checksum.slice('sha256:'.length) : undefined;
  return {
    etag: hex ? `"${hex}"` : undefined,
    lastModified: job.finishedAt ? new Date(job.finishedAt).toUTCString() : undefined,
  };
}
