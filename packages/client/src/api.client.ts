import { ApiError, apiErrorFrom, causeOf } from './api-error.js';
import {
  meSchema,
  statsSchema,
  uploadSchema,
  usageSchema,
  type Me,
  type OutputRequest,
  type Preset,
  type Stats,
  type Upload,
  signedUrlSchema,
  type SignedUrl,
  type Usage,
} from './api.schema.js';
import { isJob } from './job.guard.js';
import {
  createdWebhookEndpointSchema,
  replayedDeliverySchema,
  rotatedSecretSchema,
  webhookDeliveryListSchema,
  webhookEndpointListSchema,
  webhookEndpointSchema,
  type CreatedWebhookEndpoint,
  type RotatedSecret,
  type WebhookDeliveryView,
  type WebhookEndpointView,
  type WebhookEventType,
} from './webhooks.schema.js';
import type { Job, JobPage, JobPriority, JobStatus } from './job.schema.js';
import { fetchUpload, type FetchFn, type UploadFn, type UploadProgress } from './upload.transport.js';

/** How to reach the API. */
export interface ApiClientOptions {
  /** The API's base URL, or a path on the page's own origin that a backend proxies to it (`/kiln`). */
  baseUrl: string;
  /** Sent as the bearer token; leave it out when a backend in between adds the key (a browser must never hold it). */
  apiKey?: string;
  /** Replaces the global `fetch` (a test, a fetch with retries). */
  fetch?: FetchFn;
  /** Sends uploads; `fetch` by default, `xhrUpload` in a browser for progress, a streaming one in Node. */
  upload?: UploadFn;
}

/** A page of `GET /v1/jobs`: which jobs to read. */
export interface ListJobsQuery {
  status?: JobStatus;
  limit?: number;
  cursor?: string | null;
  signal?: AbortSignal;
}

/** A downloaded output, with the file name the API suggested. */
export interface Download {
  blob: Blob;
  fileName: string;
}

/** What `POST /v1/realtime/auth` signs for pusher-js. */
export interface ChannelAuth {
  auth: string;
  channel_data?: string;
}

/**
 * The Kiln API over `fetch`, for browsers and Node alike. Every call carries the bearer key (when
 * the client has one); a non-2xx answer becomes an {@link ApiError} carrying the API's
 * `{error: {code, message, fields}}`, an unreachable API an ApiError with status 0 naming the URL,
 * and a body that is not what the API promises an ApiError with status 502.
 */
export class ApiClient {
  readonly baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #fetch: FetchFn;
  readonly #upload: UploadFn;

  constructor(opts: ApiClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.#apiKey = opts.apiKey;
    // Wrapped so `fetch` is never called with the client as `this` (browsers throw on that).
    this.#fetch = opts.fetch ?? ((input, init) => fetch(input, init));
    this.#upload = opts.upload ?? fetchUpload(this.#fetch);
  }

  /** Absolute URL of an API path such as an output's `downloadPath` (absolute URLs pass through). */
  url(path: string): string {
    return apiUrl(this.baseUrl, path);
  }

  /** `GET /v1/me`: the customer, its channel and how to reach Pusher. */
  async me(): Promise<Me> {
    const body = meSchema.safeParse(await this.#json('GET', '/v1/me'));
    if (!body.success) throw unexpected('/v1/me');
    return body.data;
  }

  /** One page of `GET /v1/jobs`, newest first; records that are not jobs are left out. */
  async listJobs(query: ListJobsQuery = {}): Promise<JobPage> {
    const qs = new URLSearchParams();
    if (query.status !== undefined) qs.set('status', query.status);
    if (query.limit !== undefined) qs.set('limit', String(query.limit));
    if (query.cursor !== undefined && query.cursor !== null) qs.set('cursor', query.cursor);
    const suffix = qs.size > 0 ? `?${qs.toString()}` : '';
    const body = (await this.#json('GET', `/v1/jobs${suffix}`, undefined, query.signal)) as {
      data?: unknown;
      nextCursor?: unknown;
    } | null;
    if (!Array.isArray(body?.data)) throw unexpected('/v1/jobs');
    return {
      data: body.data.filter(isJob),
      nextCursor: typeof body.nextCursor === 'string' && body.nextCursor.length > 0 ? body.nextCursor : null,
    };
  }

  /**
   * `GET /v1/jobs/:id`: the job's full record (events carry only its summary). With `signed`, each
   * completed output also carries `signedUrl` and `signedUrlExpiresAt` (`?signed=true`): a URL that
   * plays with no header, in a plain `<video>` or hls.js.
   */
  async getJob(id: string, signal?: AbortSignal, opts: { signed?: boolean } = {}): Promise<Job> {
    const query = opts.signed === true ? '?signed=true' : '';
    return this.#job('GET', `/v1/jobs/${encodeURIComponent(id)}${query}`, undefined, signal);
  }

  /** `POST /v1/jobs`: queues a job; resolves with it (status `queued`). */
  async createJob(input: string, outputs: OutputRequest[]): Promise<Job> {
    return this.#job('POST', '/v1/jobs', { input, outputs });
  }

  /** `POST /v1/jobs/:id/cancel`: resolves with the cancelled job; 409 when it already ended. */
  async cancelJob(id: string): Promise<Job> {
    return this.#job('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`);
  }

  /** `POST /v1/jobs/:id/retry`: requeues a failed or cancelled job. */
  async retryJob(id: string): Promise<Job> {
    return this.#job('POST', `/v1/jobs/${encodeURIComponent(id)}/retry`);
  }

  /** `PATCH /v1/jobs/:id {priority}`: changes a queued job's priority; 409 once a worker has it. */
  async setPriority(id: string, priority: JobPriority): Promise<Job> {
    return this.#job('PATCH', `/v1/jobs/${encodeURIComponent(id)}`, { priority });
  }

  /** `DELETE /v1/jobs/:id`: deletes a finished job and its outputs; 409 while it is queued or running. */
  async deleteJob(id: string): Promise<void> {
    await this.#fetchOk(`/v1/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  /** `GET /v1/presets`. */
  async presets(): Promise<Preset[]> {
    const body = (await this.#json('GET', '/v1/presets')) as { data?: unknown } | null;
    if (!Array.isArray(body?.data)) throw unexpected('/v1/presets');
    return body.data
      .filter((p): p is Preset => typeof p === 'object' && p !== null && typeof (p as { id?: unknown }).id === 'string')
      .map((p) => ({ ...p, description: typeof p.description === 'string' ? p.description : '' }));
  }

  /** `GET /v1/stats`: the customer's job figures. */
  async stats(signal?: AbortSignal): Promise<Stats> {
    const body = statsSchema.safeParse(await this.#json('GET', '/v1/stats', undefined, signal));
    if (!body.success) throw unexpected('/v1/stats');
    return body.data;
  }

  /** `GET /v1/usage`: the customer's running and waiting jobs and stored bytes against its limits. */
  async usage(signal?: AbortSignal): Promise<Usage> {
    const body = usageSchema.safeParse(await this.#json('GET', '/v1/usage', undefined, signal));
    if (!body.success) throw unexpected('/v1/usage');
    return body.data;
  }

  /** `GET /v1/webhook-endpoints`: the customer's webhook endpoints (no secrets). */
  async listWebhookEndpoints(signal?: AbortSignal): Promise<WebhookEndpointView[]> {
    return this.#parsed(webhookEndpointListSchema, 'GET', '/v1/webhook-endpoints', undefined, signal).then(
      (b) => b.endpoints,
    );
  }

  /** `GET /v1/webhook-endpoints/:id`. */
  async getWebhookEndpoint(id: string, signal?: AbortSignal): Promise<WebhookEndpointView> {
    return this.#parsed(
      webhookEndpointSchema,
      'GET',
      `/v1/webhook-endpoints/${encodeURIComponent(id)}`,
      undefined,
      signal,
    );
  }

  /** `POST /v1/webhook-endpoints`: a new endpoint (all events by default) and its secret, which is shown only now. */
  async createWebhookEndpoint(input: {
    url: string;
    events?: WebhookEventType[];
    description?: string;
  }): Promise<CreatedWebhookEndpoint> {
    return this.#parsed(createdWebhookEndpointSchema, 'POST', '/v1/webhook-endpoints', input);
  }

  /** `DELETE /v1/webhook-endpoints/:id`. */
  async deleteWebhookEndpoint(id: string): Promise<void> {
    await this.#fetchOk(`/v1/webhook-endpoints/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  /** `POST /v1/webhook-endpoints/:id/rotate-secret`: a new secret; the old one keeps signing until `previousSecretExpiresAt`. */
  async rotateWebhookSecret(id: string): Promise<RotatedSecret> {
    return this.#parsed(rotatedSecretSchema, 'POST', `/v1/webhook-endpoints/${encodeURIComponent(id)}/rotate-secret`);
  }

  /** `POST /v1/webhook-endpoints/:id/enable`: re-enables an endpoint that was disabled. */
  async enableWebhookEndpoint(id: string): Promise<WebhookEndpointView> {
    return this.#parsed(webhookEndpointSchema, 'POST', `/v1/webhook-endpoints/${encodeURIComponent(id)}/enable`);
  }

  /** `GET /v1/jobs/:id/deliveries`: every webhook delivery of the job, with every attempt. */
  async listDeliveries(jobId: string, signal?: AbortSignal): Promise<WebhookDeliveryView[]> {
    const path = `/v1/jobs/${encodeURIComponent(jobId)}/deliveries`;
    return this.#parsed(webhookDeliveryListSchema, 'GET', path, undefined, signal).then((b) => b.deliveries);
  }

  /** `POST /v1/deliveries/:id/replay`: sends a delivery again (same `webhook-id`, a new series of attempts). */
  async replayDelivery(id: string): Promise<WebhookDeliveryView> {
    const path = `/v1/deliveries/${encodeURIComponent(id)}/replay`;
    return this.#parsed(replayedDeliverySchema, 'POST', path).then((b) => b.delivery);
  }

  /**
   * `POST /v1/realtime/auth`: signs a private-channel subscription for pusher-js. The API allows
   * the key's own channel only (403 otherwise).
   */
  async authorizeChannel(socketId: string, channelName: string): Promise<ChannelAuth> {
    const form = new URLSearchParams({ socket_id: socketId, channel_name: channelName });
    const res = await this.#fetchOk('/v1/realtime/auth', {
      method: 'POST',
      body: form.toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    const body = (await readJson(res, '/v1/realtime/auth')) as { auth?: unknown; channel_data?: unknown } | null;
    if (typeof body?.auth !== 'string') throw unexpected('/v1/realtime/auth');
    return { auth: body.auth, ...(typeof body.channel_data === 'string' ? { channel_data: body.channel_data } : {}) };
  }

  /**
   * `POST /v1/uploads` with `file` as the raw body, so a job can name it by the returned `input`
   * (`upload://<id>`). Goes through the client's upload transport: `onProgress` gets bytes sent and
   * the total when the transport reports them.
   */
  async upload(file: Blob, onProgress?: UploadProgress, signal?: AbortSignal): Promise<Upload> {
    const headers: Record<string, string> = {
      ...this.#auth(),
      Accept: 'application/json',
      'Content-Type': file.type || 'application/octet-stream',
    };
    let reply;
    try {
      reply = await this.#upload(this.url('/v1/uploads'), headers, file, onProgress, signal);
    } catch (err) {
      if (isAbort(err) || err instanceof ApiError) throw err;
      // The API answers an oversized body early and closes the connection; the sender may then
      // see only the broken upload, not the 413.
      throw new ApiError(
        0,
        `could not upload to the API at ${this.baseUrl} (${causeOf(err)}): the connection was closed or the API could not be reached; a file over the API's size limit (KILN_MAX_UPLOAD_BYTES) ends this way too`,
      );
    }
    const res = new Response(reply.text === '' ? null : reply.text, {
      status: reply.status,
      statusText: reply.statusText,
    });
    if (!res.ok) throw await apiErrorFrom(res);
    const body = uploadSchema.safeParse(await readJson(res, '/v1/uploads'));
    if (!body.success) throw unexpected('/v1/uploads');
    return body.data;
  }

  /** Fetches an output file with the bearer key (a plain link cannot send it). */
  async download(path: string, fallbackName: string): Promise<Download> {
    const res = await this.#fetchOk(path, {});
    return { blob: await res.blob(), fileName: fileNameFrom(res.headers.get('Content-Disposition')) ?? fallbackName };
  }

  /**
   * `POST /v1/jobs/:id/outputs/:name/url`: a URL of a completed output that plays with no headers
   * (a plain `<video>`, hls.js, a link handed to someone) until it expires.
   */
  async signedOutputUrl(jobId: string, outputName: string, ttlSeconds?: number): Promise<SignedUrl> {
    const path = `/v1/jobs/${encodeURIComponent(jobId)}/outputs/${encodeURIComponent(outputName)}/url`;
    return this.#parsed(signedUrlSchema, 'POST', path, ttlSeconds === undefined ? {} : { ttlSeconds });
  }

  async #job(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Job> {
    const job = await this.#json(method, path, body, signal);
    if (!isJob(job)) throw unexpected(path);
    return job;
  }

  async #parsed<T>(
    schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<T> {
    const parsed = schema.safeParse(await this.#json(method, path, body, signal));
    if (!parsed.success) throw unexpected(path);
    return parsed.data;
  }

  async #json(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    const init: RequestInit = { method, ...(signal ? { signal } : {}) };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    return readJson(await this.#fetchOk(path, init), path);
  }

  async #fetchOk(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(this.#auth())) headers.set(name, value);
    headers.set('Accept', 'application/json');
    let res: Response;
    try {
      res = await this.#fetch(this.url(path), { ...init, headers });
    } catch (err) {
      if (isAbort(err)) throw err;
      throw new ApiError(0, `could not reach the API at ${this.baseUrl} (${causeOf(err)})`);
    }
    if (!res.ok) throw await apiErrorFrom(res);
    return res;
  }

  #auth(): Record<string, string> {
    return this.#apiKey !== undefined ? { Authorization: `Bearer ${this.#apiKey}` } : {};
  }
}

/** Joins an API base URL and a path such as a `downloadPath`; absolute URLs pass through. */
export function apiUrl(baseUrl: string, path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  return `${baseUrl.replace(/\/+$/, '')}${path.startsWith('/') ? '' : '/'}${path}`;
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

function isAbort(err: unknown): boolean {
  return typeof DOMException !== 'undefined' && err instanceof DOMException && err.name === 'AbortError';
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
