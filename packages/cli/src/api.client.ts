import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import {
  isJob,
  type Job,
  type JobPage,
  type JobStatus,
  type Me,
  type OutputRequest,
  type Preset,
  type Upload,
} from './api.types.js';
import { readApiError } from '@kiln/jobs/client';
import { ApiError } from './errors.js';

/** The `fetch` the client calls; injectable so tests can count or fake requests. */
export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * The Kiln API as the CLI uses it. Every call carries the bearer key; a non-2xx answer becomes an
 * {@link ApiError} carrying the `{error: {code, message, fields}}` body, and an unreachable API
 * becomes an ApiError with status 0 that names the URL.
 */
export class KilnApiClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly apiKey: string,
    private readonly fetchFn: FetchFn = (input, init) => fetch(input, init),
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** Absolute URL of an API path such as an output's `downloadPath`. */
  url(path: string): string {
    if (/^https?:\/\//i.test(path)) return path;
    return `${this.baseUrl}${path.startsWith('/') ? '' : '/'}${path}`;
  }

  /** `GET /v1/me`: the customer's channel and how to reach Pusher. */
  async me(): Promise<Me> {
    const body = (await this.#json('GET', '/v1/me')) as Partial<Me> | null;
    if (typeof body?.channel !== 'string' || typeof body.pusher?.key !== 'string') throw unexpected('/v1/me');
    return body as Me;
  }

  /** `POST /v1/jobs`: queues a job; resolves with it (status `queued`). */
  async createJob(input: string, outputs: OutputRequest[]): Promise<Job> {
    return this.#job('POST', '/v1/jobs', { input, outputs });
  }

  /** `GET /v1/jobs/:id`. */
  async getJob(id: string): Promise<Job> {
    return this.#job('GET', `/v1/jobs/${encodeURIComponent(id)}`);
  }

  /** `POST /v1/jobs/:id/cancel`: resolves with the cancelled job; 409 when it already ended. */
  async cancelJob(id: string): Promise<Job> {
    return this.#job('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`);
  }

  /** `DELETE /v1/jobs/:id`: deletes a finished job and its outputs; 409 while it is queued or running. */
  async deleteJob(id: string): Promise<void> {
    await this.#fetch(`/v1/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  /** `POST /v1/jobs/:id/retry`: requeues a failed or cancelled job. */
  async retryJob(id: string): Promise<Job> {
    return this.#job('POST', `/v1/jobs/${encodeURIComponent(id)}/retry`);
  }

  /** One page of `GET /v1/jobs`, newest first. */
  async listJobs(query: { status?: JobStatus; limit?: number; cursor?: string } = {}): Promise<JobPage> {
    const qs = new URLSearchParams();
    if (query.status !== undefined) qs.set('status', query.status);
    if (query.limit !== undefined) qs.set('limit', String(query.limit));
    if (query.cursor !== undefined) qs.set('cursor', query.cursor);
    const suffix = qs.size > 0 ? `?${qs.toString()}` : '';
    const body = (await this.#json('GET', `/v1/jobs${suffix}`)) as Partial<JobPage> | null;
    if (!Array.isArray(body?.data)) throw unexpected('/v1/jobs');
    return {
      data: body.data.filter(isJob),
      nextCursor: typeof body.nextCursor === 'string' && body.nextCursor.length > 0 ? body.nextCursor : null,
    };
  }

  /** `GET /v1/presets`. */
  async presets(): Promise<Preset[]> {
    const body = (await this.#json('GET', '/v1/presets')) as { data?: unknown } | null;
    if (!Array.isArray(body?.data)) throw unexpected('/v1/presets');
    return body.data.filter(
      (p): p is Preset => typeof p === 'object' && p !== null && typeof (p as { id?: unknown }).id === 'string',
    );
  }

  /**
   * `POST /v1/realtime/auth`: signs a private-channel subscription for pusher-js. The API allows
   * the key's own channel only (403 otherwise).
   */
  async authorizeChannel(socketId: string, channelName: string): Promise<{ auth: string; channel_data?: string }> {
    const form = new URLSearchParams({ socket_id: socketId, channel_name: channelName });
    const res = await this.#fetch('/v1/realtime/auth', {
      method: 'POST',
      body: form.toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    const body = (await readJson(res, '/v1/realtime/auth')) as { auth?: unknown; channel_data?: unknown } | null;
    if (typeof body?.auth !== 'string') throw unexpected('/v1/realtime/auth');
    return { auth: body.auth, ...(typeof body.channel_data === 'string' ? { channel_data: body.channel_data } : {}) };
  }

  /**
   * `POST /v1/uploads`: streams a local file as the raw request body (never read into memory), so
   * a job can name it by the returned `input` (`upload://<id>`).
   */
  async upload(filePath: string): Promise<Upload> {
    const { size } = await stat(filePath);
    const res = await this.#streamFile('/v1/uploads', filePath, size);
    if (!res.ok) throw await apiErrorFrom(res);
    const upload = (await readJson(res, '/v1/uploads')) as Partial<Upload> | null;
    if (typeof upload?.id !== 'string' || typeof upload.input !== 'string') throw unexpected('/v1/uploads');
    return upload as Upload;
  }

  /**
   * Sends a file with node:http rather than fetch: an API that refuses an upload early (413) answers
   * and closes while the body is still being sent, and fetch then reports only the broken pipe;
   * here the answer is read as soon as it arrives, whatever happens to the rest of the body.
   */
  #streamFile(path: string, filePath: string, size: number): Promise<Response> {
    const url = new URL(this.url(path));
    const request = url.protocol === 'https:' ? https.request : http.request;
    return new Promise<Response>((resolve, reject) => {
      let answered = false;
      const req = request(url, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${this.apiKey}`,
          Accept: 'application/json',
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(size),
        },
      });
      req.on('response', (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) =>
          reject(new ApiError(0, `the API connection broke during the upload (${causeOf(err)})`)),
        );
        res.on('end', () =>
          resolve(
            new Response(res.statusCode === 204 ? null : Buffer.concat(chunks), {
              status: res.statusCode ?? 502,
              statusText: res.statusMessage ?? '',
            }),
          ),
        );
      });
      req.on('error', (err) => {
        // The answer that explains a broken pipe may still be on its way: give it a moment.
        setTimeout(() => {
          if (!answered) reject(new ApiError(0, `could not upload to the API at ${this.baseUrl} (${causeOf(err)})`));
        }, 250);
      });
      const file = createReadStream(filePath);
      file.on('error', (err) => {
        req.destroy();
        reject(err);
      });
      file.pipe(req);
    });
  }

  async #job(method: string, path: string, body?: unknown): Promise<Job> {
    const job = await this.#json(method, path, body);
    if (!isJob(job)) throw unexpected(path);
    return job;
  }

  async #json(method: string, path: string, body?: unknown): Promise<unknown> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    return readJson(await this.#fetch(path, init), path);
  }

  async #fetch(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${this.apiKey}`);
    headers.set('Accept', 'application/json');
    let res: Response;
    try {
      res = await this.fetchFn(this.url(path), { ...init, headers });
    } catch (err) {
      throw new ApiError(0, `could not reach the API at ${this.baseUrl} (${causeOf(err)})`);
    }
    if (!res.ok) throw await apiErrorFrom(res);
    return res;
  }
}

/**
 * Builds an {@link ApiError} from a non-2xx response: the body's `error.message`, `code` and
 * `fields` when it is the API's JSON, otherwise the status line (a proxy's HTML page, say).
 */
export async function apiErrorFrom(res: Response): Promise<ApiError> {
  const e = await readApiError(res);
  const message =
    e.message ??
    (e.status === 401 ? 'the API key was not accepted' : `the API answered ${e.status} ${e.statusText}`.trim());
  return new ApiError(e.status, message, e.code, e.fields);
}

async function readJson(res: Response, path: string): Promise<unknown> {
  if (res.status === 204) return null;
  try {
    return await res.json();
  } catch {
    throw new ApiError(502, `the API answered ${pathOnly(path)} with a body that is not JSON`);
  }
}

function unexpected(path: string): ApiError {
  return new ApiError(502, `the API answered ${pathOnly(path)} with an unexpected body`);
}

function pathOnly(path: string): string {
  return path.split('?')[0] ?? path;
}

/** undici hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`. */
function causeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
