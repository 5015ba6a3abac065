import { readApiError, type ApiFieldError } from '@kiln/jobs/client';
import { isJob, type Job } from './job.types.js';
import { isStats, type Stats } from './stats.types.js';
import { xhrUpload, type UploadFn, type UploadProgress } from './upload.transport.js';

/** One invalid field of a request, as the API reports it. */
export type FieldError = ApiFieldError;

/**
 * A failed API call: HTTP status (0 when the API could not be reached), the API's message and,
 * for validation errors, the fields at fault. The message is safe to show to the user as text.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined = undefined,
    readonly fields: FieldError[] = [],
  ) {
    super(message);
  }
}

/** `GET /v1/me`: who the key belongs to and how to reach their Pusher channel. */
export interface Me {
  customerId: string;
  channel: string;
  pusher: { key: string; cluster: string; wsHost?: string; wsPort?: number; forceTLS?: boolean };
}

/** One entry of `GET /v1/presets`. */
export interface PresetSummary {
  id: string;
  description: string;
}

/** One page of `GET /v1/jobs`. */
export interface JobPage {
  data: Job[];
  nextCursor: string | null;
}

/** `POST /v1/uploads`: the stored file and the `input` a job names it by. */
export interface Upload {
  id: string;
  sizeBytes: number;
  input: string;
}

/** A downloaded output, ready to be saved through a blob URL. */
export interface Download {
  blob: Blob;
  fileName: string;
}

type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * The Kiln API as the dashboard uses it. Every call carries the bearer key; non-2xx answers become
 * {@link ApiError} with the `{error: {code, message, fields}}` body's message.
 */
export class ApiClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly apiKey: string,
    // Wrapped so `fetch` is never called with the client as `this` (browsers throw on that).
    private readonly fetchFn: FetchFn = (input, init) => fetch(input, init),
    private readonly uploadFn: UploadFn = xhrUpload,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** Absolute URL of an API path such as a job output's `downloadPath` (absolute URLs pass through). */
  url(path: string): string {
    return apiUrl(this.baseUrl, path);
  }

  /** `GET /v1/me`. */
  async me(): Promise<Me> {
    const body = await this.#json('/v1/me');
    if (!isMe(body)) throw new ApiError(502, 'The API answered /v1/me with an unexpected body.');
    return body;
  }

  /** One page of `GET /v1/jobs` (newest first). */
  async jobsPage(cursor: string | null, limit: number, signal?: AbortSignal): Promise<JobPage> {
    const qs = new URLSearchParams({ limit: String(limit) });
    if (cursor !== null) qs.set('cursor', cursor);
    const body = (await this.#json(`/v1/jobs?${qs.toString()}`, { signal })) as Partial<JobPage> | null;
    const data = Array.isArray(body?.data) ? body.data.filter(isJob) : [];
    const nextCursor = typeof body?.nextCursor === 'string' && body.nextCursor.length > 0 ? body.nextCursor : null;
    return { data, nextCursor };
  }

  /** `GET /v1/jobs/:id`: the job's full record (events carry only its summary). */
  async getJob(id: string, signal?: AbortSignal): Promise<Job> {
    const body = await this.#json(`/v1/jobs/${encodeURIComponent(id)}`, { signal });
    if (!isJob(body)) throw new ApiError(502, 'The API answered /v1/jobs/:id with an unexpected body.');
    return body;
  }

  /** `GET /v1/presets`. */
  async presets(): Promise<PresetSummary[]> {
    const body = (await this.#json('/v1/presets')) as { data?: unknown } | null;
    if (!Array.isArray(body?.data)) throw new ApiError(502, 'The API answered /v1/presets with an unexpected body.');
    return body.data
      .filter(
        (p): p is { id: string; description?: unknown } =>
          typeof p === 'object' && p !== null && typeof (p as { id?: unknown }).id === 'string',
      )
      .map((p) => ({ id: p.id, description: typeof p.description === 'string' ? p.description : '' }));
  }

  /** `POST /v1/jobs` with one output per preset; resolves with the queued job. */
  /** `POST /v1/jobs/:id/cancel` or `/retry`: the job as it is afterwards. */
  async jobAction(id: string, action: 'cancel' | 'retry'): Promise<Job> {
    const body = await this.#json(`/v1/jobs/${encodeURIComponent(id)}/${action}`, { method: 'POST' });
    if (!isJob(body)) throw new ApiError(502, `The API answered /v1/jobs/:id/${action} with an unexpected body.`);
    return body;
  }

  /** `DELETE /v1/jobs/:id`: the job and its outputs are gone. */
  async deleteJob(id: string): Promise<void> {
    await this.#fetch(`/v1/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  async createJob(input: string, presets: string[]): Promise<Job> {
    const body = await this.#json('/v1/jobs', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ input, outputs: presets.map((preset) => ({ preset })) }),
    });
    if (!isJob(body)) throw new ApiError(502, 'The API accepted the job but answered with an unexpected body.');
    return body;
  }

  /** `GET /v1/stats`. */
  async stats(signal?: AbortSignal): Promise<Stats> {
    const body = await this.#json('/v1/stats', { signal });
    if (!isStats(body)) throw new ApiError(502, 'The API answered /v1/stats with an unexpected body.');
    return body;
  }

  /**
   * `POST /v1/uploads` with `file` as the raw body. Goes through XMLHttpRequest rather than fetch
   * because only XHR reports upload progress; `onProgress` gets bytes sent and the total.
   */
  async upload(file: Blob, onProgress?: UploadProgress, signal?: AbortSignal): Promise<Upload> {
    const headers = {
      Authorization: `Bearer ${this.apiKey}`,
      Accept: 'application/json',
      'Content-Type': file.type || 'application/octet-stream',
    };
    let reply;
    try {
      reply = await this.uploadFn(this.url('/v1/uploads'), headers, file, onProgress, signal);
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      // The API answers an oversized body early and closes the connection; a browser may then
      // see only the broken upload, not the 413.
      throw new ApiError(
        0,
        `The upload to ${this.baseUrl} failed: the connection was closed or the API could not be reached. A file over the API's size limit (KILN_MAX_UPLOAD_BYTES) ends this way too.`,
      );
    }
    const res = new Response(reply.text === '' ? null : reply.text, {
      status: reply.status,
      statusText: reply.statusText,
    });
    if (!res.ok) throw await errorFrom(res);
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new ApiError(502, 'The API answered /v1/uploads with a body that is not JSON.');
    }
    if (!isUpload(body)) throw new ApiError(502, 'The API accepted the upload but answered with an unexpected body.');
    return body;
  }

  /** Fetches an output file with the bearer key (a plain link cannot send it). */
  async download(path: string, fallbackName: string): Promise<Download> {
    const res = await this.#fetch(path);
    return { blob: await res.blob(), fileName: fileNameFrom(res.headers.get('Content-Disposition')) ?? fallbackName };
  }

  async #json(path: string, init: RequestInit = {}): Promise<unknown> {
    const res = await this.#fetch(path, init);
    if (res.status === 204) return null;
    try {
      return await res.json();
    } catch {
      throw new ApiError(502, `The API answered ${path.split('?')[0] ?? path} with a body that is not JSON.`);
    }
  }

  async #fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${this.apiKey}`);
    headers.set('Accept', 'application/json');
    let res: Response;
    try {
      res = await this.fetchFn(this.url(path), { ...init, headers });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw new ApiError(0, `Could not reach the API at ${this.baseUrl}.`);
    }
    if (!res.ok) throw await errorFrom(res);
    return res;
  }
}

/** Joins an API base URL and a path such as a `downloadPath`; absolute URLs pass through. */
export function apiUrl(baseUrl: string, path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  return `${baseUrl.replace(/\/+$/, '')}${path.startsWith('/') ? '' : '/'}${path}`;
}

async function errorFrom(res: Response): Promise<ApiError> {
  const e = await readApiError(res);
  const message =
    e.message ??
    (e.status === 401 ? 'The API key was not accepted.' : `The API answered ${e.status} ${e.statusText}`.trim());
  return new ApiError(e.status, message, e.code, e.fields);
}

function isUpload(v: unknown): v is Upload {
  if (typeof v !== 'object' || v === null) return false;
  const u = v as Record<string, unknown>;
  return (
    typeof u['id'] === 'string' &&
    typeof u['sizeBytes'] === 'number' &&
    typeof u['input'] === 'string' &&
    u['input'].length > 0
  );
}

function isMe(v: unknown): v is Me {
  if (typeof v !== 'object' || v === null) return false;
  const me = v as Record<string, unknown>;
  const pusher = me['pusher'] as Record<string, unknown> | null | undefined;
  return (
    typeof me['customerId'] === 'string' &&
    typeof me['channel'] === 'string' &&
    typeof pusher === 'object' &&
    pusher !== null &&
    typeof pusher['key'] === 'string'
  );
}

/** The file name of a `Content-Disposition` header, if it names one. */
export function fileNameFrom(header: string | null): string | undefined {
  if (header === null) return undefined;
  const star = /filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i.exec(header);
  if (star?.[1] !== undefined) {
    try {
      return sanitizeFileName(decodeURIComponent(star[1].trim().replace(/^"|"$/g, '')));
    } catch {
      // Malformed percent-encoding: try the plain form.
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header);
  return plain?.[1] !== undefined ? sanitizeFileName(plain[1].trim()) : undefined;
}

function sanitizeFileName(name: string): string | undefined {
  const base = name.replace(/[/\\]/g, '_').trim();
  return base.length > 0 ? base : undefined;
}
