import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  getPreset,
  isDirectoryPreset,
  outputDownloadPath,
  outputFileName,
  type Job,
  type JobOutput,
  type JobRepository,
  type Preset,
} from '@kiln/jobs';
import type { ByteRange, OutputRef, OutputStorage } from '@kiln/storage';
import { Router, type Request, type Response } from 'express';
import { NotFoundError } from '../http.errors.js';
import { customerOf } from '../middleware/auth.middleware.js';

/** Media types of the files a directory output can hold (HLS in MPEG-TS or fMP4, subtitles, images); anything else is octet-stream. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
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

/**
 * Completed outputs, streamed from the output storage (local disk or S3) with Range support:
 * `GET /v1/jobs/:id/outputs/:name` streams a file output; `GET /v1/jobs/:id/outputs/:name/<path>`
 * streams one file of a directory output (the master and rendition playlists and segments of HLS,
 * each thumbnail), so a playlist's relative URIs resolve to their files. The bare path of a
 * directory output (what `downloadPath` was before it named the entry file) redirects to its entry
 * file: served there, its relative URIs would resolve one level too high. Another customer's job,
 * an unknown name or path, or an unfinished output is a 404.
 */
export function outputsRouter(deps: OutputsDeps): Router {
  const router = Router({ mergeParams: true });
  router.get('/:name', (req, res) => sendFileOutput(deps, req, res));
  router.get('/:name/*file', (req, res) => sendDirectoryFile(deps, req, res));
  return router;
}

/** What the outputs routes read: job records and the stored bytes. */
interface OutputsDeps {
  repo: JobRepository;
  storage: OutputStorage;
}

/** `GET /:name`: a file output's bytes, or for a directory output a redirect to its entry file. */
async function sendFileOutput(deps: OutputsDeps, req: Request, res: Response): Promise<void> {
  const { job, output, preset } = await findOutput(deps.repo, req);
  if (isDirectoryPreset(preset)) {
    res.redirect(302, outputDownloadPath(job.id, output, preset));
    return;
  }
  const fileName = outputFileName(output.name, preset);
  await send(deps.storage, req, res, {
    ref: { customerId: job.customerId, jobId: job.id, name: fileName },
    file: undefined,
    type: output.contentType,
    validators: validatorsOf(job, output.checksum),
    downloadName: `${job.id}-${fileName}`,
  });
}

/** `GET /:name/<path>`: one file listed in a directory output's `files`. */
async function sendDirectoryFile(deps: OutputsDeps, req: Request, res: Response): Promise<void> {
  const { job, output, preset } = await findOutput(deps.repo, req);
  const parts = (req.params as { file?: string[] | string }).file;
  const relative = Array.isArray(parts) ? parts.join('/') : String(parts ?? '');
  if (!isDirectoryPreset(preset) || !output.files?.some((f) => f.path === relative))
    throw new NotFoundError('output file');
  const checksum = output.files.find((f) => f.path === relative)?.checksum;
  await send(deps.storage, req, res, {
    ref: { customerId: job.customerId, jobId: job.id, name: output.name },
    file: relative,
    type: CONTENT_TYPES[path.extname(relative).toLowerCase()] ?? 'application/octet-stream',
    validators: validatorsOf(job, checksum),
  });
}

/** The customer's completed output the request names, with its job and preset; anything else is a 404. */
async function findOutput(repo: JobRepository, req: Request): Promise<{ job: Job; output: JobOutput; preset: Preset }> {
  const params = req.params as { id: string; name: string };
  const job = await repo.getForCustomer(customerOf(req), params.id);
  const output = job?.outputs.find((o) => o.name === params.name);
  const preset = output && getPreset(output.preset);
  if (!job || !output || output.status !== 'completed' || !preset) throw new NotFoundError('output');
  return { job, output, preset };
}

/** One stored file to answer with, and how to describe it. */
interface StoredFile {
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
async function send(storage: OutputStorage, req: Request, res: Response, stored: StoredFile): Promise<void> {
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
