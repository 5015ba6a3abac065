import {
  jobEventPayloadSchema,
  jobOutputSchema,
  jobPageSchema,
  jobSchema,
  jobSummarySchema,
  meSchema,
  usageSchema,
} from '@kiln/client/contract';
import { createJobSchema, JOB_STATUSES, PRESET_IDS } from '@kiln/jobs';
import { z } from 'zod';
import { listJobsQuerySchema, MAX_IDEMPOTENCY_KEY_LENGTH, patchJobSchema } from '../routes/jobs.route.js';
import { realtimeAuthBodySchema, viewerTokenBodySchema } from '../routes/realtime.route.js';
import { signedUrlBodySchema } from '../routes/signed-urls.route.js';
import { webhookPaths, webhookSchemas } from './webhooks.openapi.js';

/** A JSON Schema (OpenAPI 3.1 uses JSON Schema 2020-12 as is). */
export type JsonSchema = Record<string, unknown>;

interface Operation {
  summary: string;
  description?: string;
  tags: string[];
  security?: Record<string, string[]>[];
  parameters?: Record<string, unknown>[];
  requestBody?: Record<string, unknown>;
  responses: Record<string, unknown>;
}

/** The parts of an OpenAPI 3.1 document Kiln fills in. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, unknown>;
    securitySchemes: Record<string, unknown>;
  };
}

/** A zod schema as it is accepted on the wire (defaults optional, coercions as their input). */
function fromZod(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

const SAFE_INT_BOUNDS = { minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };

/**
 * A generated JSON Schema node in the document's plainer style: no closed objects (clients must
 * ignore fields added later), no bounds that only restate JavaScript's safe integers or that
 * JSON keys are strings, and a nullable scalar as `type: [t, 'null']`.
 */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (typeof node !== 'object' || node === null) return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === '$id' || key === 'propertyNames') continue;
    if (key === 'additionalProperties' && value === false) continue;
    if ((key === 'minimum' || key === 'maximum') && value === SAFE_INT_BOUNDS[key]) continue;
    out[key] = tidy(value);
  }
  const [first, second, ...more] = (out['anyOf'] as JsonSchema[] | undefined) ?? [];
  const scalar = typeof first?.['type'] === 'string' && first['type'] !== 'object';
  if (scalar && second?.['type'] === 'null' && more.length === 0) {
    const { anyOf: _anyOf, ...rest } = out;
    return { ...first, ...rest, type: [first['type'], 'null'] };
  }
  return out;
}

/**
 * The job's record, list page, event summary and payload, and `/v1/me`, from the zod schemas of
 * `@kiln/client` that the clients check them with; only `preset` is narrowed to today's presets
 * (the wire schema accepts any, so clients survive a new one).
 */
function wireSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  registry.add(jobOutputSchema, { id: 'JobOutput' });
  registry.add(jobSchema, { id: 'Job' });
  registry.add(jobPageSchema, { id: 'JobList' });
  registry.add(jobSummarySchema, { id: 'JobSummary' });
  registry.add(jobEventPayloadSchema, { id: 'JobEvent' });
  registry.add(meSchema, { id: 'Me' });
  registry.add(usageSchema, { id: 'Usage' });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
  });
  const out = tidy(schemas) as Record<string, { properties: Record<string, JsonSchema> }>;
  const preset = { type: 'string', enum: [...PRESET_IDS] };
  out['JobOutput']!.properties['preset'] = preset;
  (out['JobSummary']!.properties['outputs']!['items'] as { properties: JsonSchema }).properties['preset'] = preset;
  return out;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema, description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema } },
});
const errorRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
const nullable = (type: string, extra: JsonSchema = {}) => ({ type: [type, 'null'], ...extra });

const ISO = { type: 'string', format: 'date-time' };

/** Response shapes the API builds in code, described by hand (the job's and `/v1/me`'s come from their zod schemas). */
const responseSchemas: Record<string, JsonSchema> = {
  Error: {
    type: 'object',
    description: 'Every 4xx and 5xx answer.',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: {
            type: 'string',
            examples: [
              'invalid_request',
              'unauthorized',
              'not_found',
              'conflict',
              'rate_limited',
              'queued_jobs_limit',
              'stored_bytes_limit',
              'redis_unavailable',
              'signed_url_invalid',
              'signed_url_expired',
              'viewer_token_scope',
            ],
          },
          message: { type: 'string' },
          limit: {
            enum: ['queued', 'storedBytes'],
            description:
              'With `queued_jobs_limit` and `stored_bytes_limit`: the limit reached, as GET /v1/usage names it.',
          },
          usage: {
            type: 'object',
            description:
              "With `queued_jobs_limit` and `stored_bytes_limit`: the customer's usage against its limits, as GET /v1/usage shows it (without `customerId`).",
          },
          fields: {
            type: 'array',
            description: 'What was wrong, per field (`outputs.0.preset`, `query.status`, `Idempotency-Key`, `(body)`).',
            items: {
              type: 'object',
              required: ['path', 'message'],
              properties: { path: { type: 'string' }, message: { type: 'string' } },
            },
          },
        },
      },
    },
  },
  PresetList: {
    type: 'object',
    required: ['data'],
    properties: {
      data: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'kind', 'description', 'extension', 'contentType'],
          properties: {
            id: { type: 'string' },
            kind: { type: 'string' },
            description: { type: 'string' },
            extension: { type: 'string' },
            contentType: { type: 'string' },
            pool: {
              type: 'string',
              description:
                'The capability pool a worker must run to encode it (`KILN_WORKER_POOLS`); `cpu` runs everywhere.',
            },
          },
        },
      },
    },
  },
  Stats: {
    type: 'object',
    required: ['counts', 'jobsPerHour', 'meanEncodeSpeed', 'scannedJobs', 'truncated'],
    properties: {
      counts: {
        type: 'object',
        required: [...JOB_STATUSES],
        properties: Object.fromEntries(JOB_STATUSES.map((s) => [s, { type: 'integer', minimum: 0 }])),
      },
      jobsPerHour: {
        type: 'array',
        minItems: 24,
        maxItems: 24,
        description: 'The 24 UTC hours up to the current one, oldest first.',
        items: {
          type: 'object',
          required: ['hour', 'count'],
          properties: { hour: ISO, count: { type: 'integer', minimum: 0 } },
        },
      },
      meanEncodeSpeed: nullable('number', {
        description:
          'Mean over completed jobs of media seconds per second of encoding (longest output duration / (finishedAt - startedAt)), else the last ffmpeg speed; null without completed jobs.',
      }),
      scannedJobs: { type: 'integer', minimum: 0, description: 'Jobs the figures cover: every job of the customer.' },
      truncated: {
        type: 'boolean',
        description:
          'Always false: the figures are counters kept on every change, not a scan (kept for older clients).',
      },
    },
  },
  Upload: {
    type: 'object',
    required: ['id', 'sizeBytes', 'input'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      sizeBytes: { type: 'integer', minimum: 1 },
      input: {
        type: 'string',
        examples: ['upload://0b5c7c1e-9d1f-4c39-9a7e-3f1f7f0e2a11'],
        description: 'Use as a job\'s "input".',
      },
    },
  },
  SignedUrl: {
    type: 'object',
    required: ['url', 'expiresAt'],
    properties: {
      url: { type: 'string', description: '`<origin>/play/<token>/<entry file>`: plays with no credentials' },
      expiresAt: ISO,
    },
  },
  ViewerToken: {
    type: 'object',
    required: ['token', 'channel', 'expiresAt'],
    properties: {
      token: { type: 'string', description: 'A bearer token for the viewer routes; hand it to the end user' },
      channel: {
        type: 'string',
        examples: ['private-job-0b5c7c1e-9d1f-4c39-9a7e-3f1f7f0e2a11', 'private-customer-acme'],
      },
      expiresAt: ISO,
    },
  },
  RealtimeAuth: {
    type: 'object',
    required: ['auth'],
    properties: { auth: { type: 'string', description: '`<pusher key>:<HMAC-SHA256 hex>`' } },
  },
  Health: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } },
  Ready: {
    type: 'object',
    required: ['status', 'checks'],
    properties: {
      status: { enum: ['ready', 'not_ready'] },
      checks: { type: 'object', additionalProperties: { type: 'boolean' } },
    },
  },
};

const bearer = [{ bearerAuth: [] }];
const jobIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const signedQueryParam = { name: 'signed', in: 'query', required: false, schema: { enum: ['true', 'false'] } };
const rateLimited = { '401': errorRef('Unauthorized'), '429': errorRef('RateLimited') };
/** A 429 of a route that also checks the customer's limits: `rate_limited`, or the limit's own code. */
const limited = (codes: string) => ({
  '401': errorRef('Unauthorized'),
  '429': json(
    ref('Error'),
    `\`rate_limited\` (too many requests for this API key), or the customer is at a limit (see GET /v1/usage): ${codes}. \`Retry-After\` comes with \`rate_limited\` and \`queued_jobs_limit\`, not with \`stored_bytes_limit\` (waiting does not help: delete finished jobs)`,
    {
      'Retry-After': {
        schema: { type: 'integer' },
        description: 'seconds to wait before retrying, when waiting helps',
      },
    },
  ),
});

type Paths = OpenApiDocument['paths'];

/** Probes, metrics and this document itself. */
function operationPaths(): Paths {
  return {
    '/healthz': {
      get: {
        summary: 'Liveness',
        tags: ['operations'],
        responses: { '200': json(ref('Health'), 'the process is up') },
      },
    },
    '/readyz': {
      get: {
        summary: 'Readiness: Redis answers',
        tags: ['operations'],
        responses: { '200': json(ref('Ready'), 'ready'), '503': json(ref('Ready'), 'a dependency does not answer') },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        tags: ['operations'],
        responses: {
          '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
        },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This document',
        tags: ['operations'],
        responses: { '200': json({ type: 'object' }, 'OpenAPI 3.1') },
      },
    },
    '/docs': {
      get: {
        summary: 'This document as an HTML page',
        tags: ['operations'],
        responses: { '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    },
  };
}

/** Who an API key belongs to. */
function accountPaths(): Paths {
  return {
    '/v1/me': {
      get: {
        summary: 'Who the key belongs to and how to connect to its channel',
        tags: ['account'],
        security: bearer,
        responses: {
          '200': json(ref('Me'), 'the customer, its private channel and pusher-js settings'),
          ...rateLimited,
        },
      },
    },
  };
}

/** Creating and listing jobs; the list's query parameters come from the zod schema the route validates with. */
function jobCollectionPaths(): Paths {
  const listParams = Object.entries((fromZod(listJobsQuerySchema).properties ?? {}) as Record<string, JsonSchema>).map(
    ([name, schema]) => ({ name, in: 'query', required: false, schema }),
  );
  return {
    '/v1/jobs': {
      post: {
        summary: 'Create a job',
        description: `Queues an encode. \`input\` is an http(s):// URL (no credentials), an \`upload://<id>\` from POST /v1/uploads, or a file:// path under KILN_INPUT_ROOTS. With an \`Idempotency-Key\` (1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters, kept 24 h per customer), repeating the request with the same body returns the same job with \`Idempotent-Replayed: true\`; another body is a 409.`,
        tags: ['jobs'],
        security: bearer,
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            schema: { type: 'string', minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH },
          },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: ref('CreateJobRequest') } } },
        responses: {
          '202': json(
            ref('Job'),
            'queued (or, with `Idempotent-Replayed: true`, the job an earlier request with the same key created)',
            {
              Location: { schema: { type: 'string' }, description: '/v1/jobs/<id>' },
              'Idempotent-Replayed': {
                schema: { const: 'true' },
                description: 'present when the job was created by an earlier request',
              },
            },
          ),
          '400': errorRef('BadRequest'),
          '409': errorRef('Conflict'),
          '413': errorRef('TooLarge'),
          ...limited(
            '`queued_jobs_limit` (as many jobs waiting as allowed) or `stored_bytes_limit` (stored bytes at or over the limit)',
          ),
          '503': json(
            ref('Error'),
            'Redis or the queue is unavailable (`redis_unavailable`, with `Retry-After`); no job was created, retry',
            { 'Retry-After': { schema: { type: 'integer' }, description: 'seconds to wait before retrying' } },
          ),
        },
      },
      get: {
        summary: "List the customer's jobs, newest first",
        tags: ['jobs'],
        security: bearer,
        parameters: listParams,
        responses: { '200': json(ref('JobList'), 'a page of jobs'), '400': errorRef('BadRequest'), ...rateLimited },
      },
    },
  };
}

/** One job: read, delete, cancel, retry. */
function jobPaths(): Paths {
  return {
    '/v1/jobs/{id}': {
      get: {
        summary: 'Read a job',
        tags: ['jobs'],
        security: bearer,
        description:
          'With a viewer token: a job token reads its own job only (any other is a 404). `signed=true` adds `signedUrl` and `signedUrlExpiresAt` (an hour) to each output of a completed job.',
        parameters: [jobIdParam, signedQueryParam],
        responses: {
          '200': json(ref('Job'), 'the job'),
          '400': errorRef('BadRequest'),
          '404': errorRef('NotFound'),
          ...rateLimited,
        },
      },
      patch: {
        summary: "Change a queued job's priority",
        description:
          "Moves the job among the customer's own waiting jobs (`high` before `normal` before `low`; customers share the farm in fair-share order whatever their priorities). Only while it waits: once handed to a worker it is a 409.",
        tags: ['jobs'],
        security: bearer,
        parameters: [jobIdParam],
        requestBody: { required: true, content: { 'application/json': { schema: ref('PatchJobRequest') } } },
        responses: {
          '200': json(ref('Job'), 'the job with its new priority'),
          '400': errorRef('BadRequest'),
          '404': errorRef('NotFound'),
          '409': errorRef('Conflict'),
          ...rateLimited,
        },
      },
      delete: {
        summary: 'Delete a finished job and its outputs',
        description:
          'Removes the stored outputs (files or S3 objects), the queue entry and the record. A queued or running job is a 409: cancel it first.',
        tags: ['jobs'],
        security: bearer,
        parameters: [jobIdParam],
        responses: {
          '204': { description: 'deleted' },
          '404': errorRef('NotFound'),
          '409': errorRef('Conflict'),
          ...rateLimited,
        },
      },
    },
    '/v1/jobs/{id}/cancel': {
      post: {
        summary: 'Cancel a queued or running job',
        tags: ['jobs'],
        security: bearer,
        parameters: [jobIdParam],
        responses: {
          '200': json(ref('Job'), 'cancelled'),
          '404': errorRef('NotFound'),
          '409': errorRef('Conflict'),
          ...rateLimited,
        },
      },
    },
    '/v1/jobs/{id}/retry': {
      post: {
        summary: 'Run a failed or cancelled job again',
        tags: ['jobs'],
        security: bearer,
        parameters: [jobIdParam],
        responses: {
          '202': json(ref('Job'), 'queued again'),
          '404': errorRef('NotFound'),
          '409': errorRef('Conflict'),
          ...rateLimited,
        },
      },
    },
  };
}

/** Downloads of completed outputs: a whole output, or one file of a directory output. */
function outputPaths(): Paths {
  return {
    '/v1/jobs/{id}/outputs/{name}': {
      get: {
        summary: 'Download a completed output',
        description:
          "Range requests are supported (one range per request: 206 with `Content-Range`, 416 past the end; `If-Range` with a stale `ETag` gets the whole file). `ETag` is the file's sha256 and `Last-Modified` the job's finish time; a matching `If-None-Match` gets a 304. The bytes come from the configured storage (local disk or the S3 bucket) through the API. A directory output (HLS, CMAF, thumbnails) is not one file: its bare path answers 302 to its entry file (`<name>/master.m3u8`, `<name>/thumb-01.jpg`, the `downloadPath`), where the relative URIs of its playlists resolve; jobs recorded before `downloadPath` named the entry file keep working through it.",
        tags: ['jobs'],
        security: bearer,
        parameters: [jobIdParam, { name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'the file', content: { 'application/octet-stream': {} } },
          '206': { description: 'the requested range' },
          '302': {
            description: 'a directory output: `Location` is its entry file (its `downloadPath`)',
            headers: { Location: { schema: { type: 'string' } } },
          },
          '304': { description: "unchanged: `If-None-Match` matched the `ETag` (the file's sha256)" },
          '404': errorRef('NotFound'),
          '416': { description: 'the range starts past the end of the file (`Content-Range: bytes */<size>`)' },
          ...rateLimited,
        },
      },
    },
    '/v1/jobs/{id}/outputs/{name}/{file}': {
      get: {
        summary: 'Download one file of a directory output',
        description:
          "Every file listed in the output's `files`, at its path relative to the output: the HLS master playlist (`master.m3u8`, the entry file), rendition playlists and segments (`v0/index.m3u8`, `v0/seg_000.ts`), a CMAF output's DASH manifest, init and media segments (`manifest.mpd`, `init-0.mp4`, `seg-0-00001.m4s`), thumbnails (`thumb-01.jpg`). So an HLS player given the `downloadPath` resolves every URI of every playlist here. `Content-Type` follows the extension (`.m3u8` application/vnd.apple.mpegurl, `.mpd` application/dash+xml, `.ts` video/mp2t, `.m4s` video/iso.segment, `.mp4` video/mp4, `.vtt` text/vtt, `.jpg` image/jpeg, ...). A path that is not listed (including any `..`) is a 404. Range, `ETag` (the file's sha256) and `If-None-Match` work as for a whole output.",
        tags: ['jobs'],
        security: bearer,
        parameters: [
          jobIdParam,
          { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
          {
            name: 'file',
            in: 'path',
            required: true,
            description: 'path inside the output, may contain `/`',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': { description: 'the file', content: { 'application/octet-stream': {} } },
          '206': { description: 'the requested range' },
          '304': { description: "unchanged: `If-None-Match` matched the `ETag` (the file's sha256)" },
          '404': errorRef('NotFound'),
          '416': { description: 'the range starts past the end of the file (`Content-Range: bytes */<size>`)' },
          ...rateLimited,
        },
      },
    },
  };
}

/** The preset catalogue and the customer's statistics. */
function presetAndStatsPaths(): Paths {
  return {
    '/v1/presets': {
      get: {
        summary: 'The presets',
        tags: ['jobs'],
        security: bearer,
        responses: { '200': json(ref('PresetList'), 'every preset'), ...rateLimited },
      },
    },
    '/v1/stats': {
      get: {
        summary: "The customer's job statistics",
        description:
          'Counts by status, jobs created per hour over the last 24 h and the mean encode speed, over every job of the customer, from counters kept on every change (the cost does not grow with the number of jobs).',
        tags: ['jobs'],
        security: bearer,
        responses: { '200': json(ref('Stats'), 'the figures'), ...rateLimited },
      },
    },
    '/v1/usage': {
      get: {
        summary: "The customer's usage against its limits",
        description:
          'Jobs running (probing, encoding, storing), jobs waiting (queued) and bytes stored (completed outputs of its jobs plus its uploads), each with its limit (null = none; KILN_LIMIT_* or the limits after its key in KILN_API_KEYS). Counters, not a scan.',
        tags: ['account'],
        security: bearer,
        responses: { '200': json(ref('Usage'), 'usage and limits'), ...rateLimited },
      },
    },
  };
}

/** Input uploads. */
function uploadPaths(): Paths {
  return {
    '/v1/uploads': {
      post: {
        summary: 'Upload an input file',
        description:
          "The raw request body (any content type) is stored; use the returned `input` (`upload://<id>`) in POST /v1/jobs. At most KILN_MAX_UPLOAD_BYTES, and it counts towards the customer's stored bytes until it expires (KILN_UPLOAD_TTL_H).",
        tags: ['jobs'],
        security: bearer,
        requestBody: {
          required: true,
          content: { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
        },
        responses: {
          '201': json(ref('Upload'), 'stored'),
          '400': errorRef('BadRequest'),
          '413': errorRef('TooLarge'),
          ...limited('`stored_bytes_limit` (the upload does not fit in the stored-bytes limit; nothing is kept)'),
        },
      },
    },
  };
}

/** Channel authorization for pusher-js. */
function realtimePaths(): Paths {
  return {
    '/v1/realtime/auth': {
      post: {
        summary: "Authorize a pusher-js client for the customer's channel or one of its jobs' channels",
        description:
          'An API key: `private-customer-<own id>` and `private-job-<id>` of its own jobs. A viewer token: its own channel only (403 `viewer_token_scope` otherwise).',
        tags: ['realtime'],
        security: bearer,
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': { schema: ref('RealtimeAuthRequest') },
            'application/json': { schema: ref('RealtimeAuthRequest') },
          },
        },
        responses: {
          '200': json(ref('RealtimeAuth'), 'the channel signature'),
          '400': errorRef('BadRequest'),
          '403': errorRef('Forbidden'),
          ...rateLimited,
        },
      },
    },
  };
}

/** Signed output URLs, `/play`, and viewer tokens: access without an API key. */
function signedAccessPaths(): Paths {
  return {
    '/v1/jobs/{id}/outputs/{name}/url': {
      post: {
        summary: 'A signed URL that plays an output without credentials',
        description:
          "`<origin>/play/<token>/<entry file>` (origin: KILN_PUBLIC_URL, else the request's), valid for `ttlSeconds` (default 3600, at most 604800). It stops working when the job is retried and finishes again. Only for a completed job (409 otherwise).",
        tags: ['jobs'],
        security: bearer,
        parameters: [jobIdParam, { name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { required: false, content: { 'application/json': { schema: ref('SignedUrlRequest') } } },
        responses: {
          '200': json(ref('SignedUrl'), 'the URL and its expiry'),
          '400': errorRef('BadRequest'),
          '403': json(ref('Error'), '`viewer_token_scope`: viewer tokens cannot sign URLs'),
          '404': errorRef('NotFound'),
          '409': errorRef('Conflict'),
          ...rateLimited,
        },
      },
    },
    '/play/{token}/{file}': {
      get: {
        summary: 'Play a signed output URL (no credentials)',
        description:
          "The file output's name, or any file of the directory output (an HLS master's relative URIs land here under the same token). CORS for any origin; Range, `ETag` and `If-None-Match` as on `/v1/jobs/{id}/outputs/{name}`.",
        tags: ['jobs'],
        parameters: [
          { name: 'token', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'file', in: 'path', required: true, schema: { type: 'string' }, description: 'may contain `/`' },
        ],
        responses: {
          '200': { description: 'the file', content: { 'application/octet-stream': {} } },
          '206': { description: 'the requested range' },
          '304': { description: "unchanged: `If-None-Match` matched the `ETag` (the file's sha256)" },
          '403': json(
            ref('Error'),
            '`signed_url_expired`, or `signed_url_invalid` (forged, not a playback token, or the job finished again since)',
          ),
          '404': errorRef('NotFound'),
          '416': { description: 'the range starts past the end of the file (`Content-Range: bytes */<size>`)' },
        },
      },
    },
    '/v1/realtime/viewer-tokens': {
      post: {
        summary: "A viewer token for a customer's end user",
        description:
          "API keys only. With `jobId` (one of the customer's jobs, else 404) the token reads that job (`GET /v1/jobs/{id}`, its outputs) and authorizes `private-job-<jobId>`; without, it reads the customer's jobs (`GET /v1/jobs` too) and authorizes `private-customer-<id>`. Both read `GET /v1/me`. Anything else with it: 403 `viewer_token_scope`. `ttlSeconds`: default 3600, at most 86400. Requests with a token count in a rate-limit bucket of that token, never its customer's keys'.",
        tags: ['realtime'],
        security: bearer,
        requestBody: { required: false, content: { 'application/json': { schema: ref('ViewerTokenRequest') } } },
        responses: {
          '201': json(ref('ViewerToken'), 'the token, its channel and expiry'),
          '400': errorRef('BadRequest'),
          '403': json(ref('Error'), '`viewer_token_scope`: a viewer token cannot mint viewer tokens'),
          '404': errorRef('NotFound'),
          ...rateLimited,
        },
      },
    },
  };
}

const NON_NEGATIVE_INT = { type: 'integer', minimum: 0 };

/** The fleet view's JSON (`GET /v1/admin/fleet`), in the document only with the admin routes. */
const fleetSchemas: Record<string, JsonSchema> = {
  FleetWorker: {
    type: 'object',
    description: 'A worker process online: it wrote its heartbeat within the last 15 s (it beats every 5 s).',
    required: ['id', 'host', 'pid', 'pools', 'concurrency', 'prefetch', 'startedAt', 'jobs', 'lastSeenAt'],
    properties: {
      id: { type: 'string', description: '`<host>:<pid>:<random>`, unique per process' },
      host: { type: 'string' },
      pid: { type: 'integer' },
      pools: { type: 'array', items: { type: 'string' }, description: 'capability pools it runs jobs of' },
      concurrency: { type: 'integer', minimum: 1, description: 'encodes at once (KILN_WORKER_CONCURRENCY)' },
      prefetch: { ...NON_NEGATIVE_INT, description: 'jobs taken ahead of a free slot (KILN_WORKER_PREFETCH)' },
      startedAt: ISO,
      lastSeenAt: ISO,
      lastSeenSecondsAgo: {
        ...NON_NEGATIVE_INT,
        description: "seconds since its last heartbeat (Redis server's clock)",
      },
      jobs: {
        type: 'array',
        description: 'the jobs it runs now, as of its last heartbeat',
        items: {
          type: 'object',
          required: ['id', 'customerId', 'status', 'percent', 'speed'],
          properties: {
            id: { type: 'string' },
            customerId: { type: 'string' },
            status: { type: 'string', enum: [...JOB_STATUSES] },
            percent: { type: 'number', minimum: 0, maximum: 100 },
            speed: nullable('number', { description: 'media seconds per second, as ffmpeg reports it' }),
          },
        },
      },
    },
  },
  FleetView: {
    type: 'object',
    required: ['workers', 'queue', 'jobsPerMinute', 'slotsOnline'],
    properties: {
      workers: { type: 'array', items: ref('FleetWorker') },
      queue: {
        type: 'object',
        required: ['byPriority', 'byCustomer'],
        properties: {
          byPriority: {
            type: 'array',
            description: 'Jobs waiting for a worker, one entry per priority (high, normal, low).',
            items: {
              type: 'object',
              required: ['priority', 'waiting', 'oldestWaitSeconds'],
              properties: {
                priority: { type: 'string', enum: ['high', 'normal', 'low'] },
                waiting: NON_NEGATIVE_INT,
                oldestWaitSeconds: nullable('number', { description: 'null when nothing waits' }),
              },
            },
          },
          byCustomer: {
            type: 'array',
            description: 'Customers with jobs waiting or running, most waiting first.',
            items: {
              type: 'object',
              required: ['customerId', 'waiting', 'running'],
              properties: { customerId: { type: 'string' }, waiting: NON_NEGATIVE_INT, running: NON_NEGATIVE_INT },
            },
          },
        },
      },
      jobsPerMinute: { ...NON_NEGATIVE_INT, description: 'jobs finished (completed or failed) in the last 60 s' },
      slotsOnline: {
        type: 'object',
        additionalProperties: NON_NEGATIVE_INT,
        description: 'encode slots online per pool: the summed concurrency of the workers online that run it',
      },
    },
  },
};

/** The admin pages and the fleet's JSON, in the document only when they are mounted. */
function adminPaths(): Paths {
  const admin = { tags: ['operations'], security: [{ adminBasic: [] }] };
  const html = { description: 'HTML', content: { 'text/html': {} } };
  return {
    '/admin/queues': {
      get: {
        summary: 'Bull Board (read-only), for operators',
        ...admin,
        responses: { '200': html, '401': errorRef('Unauthorized') },
      },
    },
    '/admin/fleet': {
      get: {
        summary: 'The live fleet page, for operators: workers, their jobs, queue depth, jobs per minute',
        ...admin,
        responses: { '200': html, '401': errorRef('Unauthorized') },
      },
    },
    '/admin/fleet/fleet.js': {
      get: {
        summary: "The fleet page's script",
        ...admin,
        responses: {
          '200': { description: 'JavaScript', content: { 'text/javascript': {} } },
          '401': errorRef('Unauthorized'),
        },
      },
    },
    '/v1/admin/fleet': {
      get: {
        summary: 'The fleet (admin): every worker online with its jobs, queue depth, jobs per minute',
        description:
          'Admin credentials (HTTP basic), not an API key. Workers drop off 15 s after their last heartbeat. Answers 404 when no admin credentials are configured.',
        ...admin,
        responses: {
          '200': json(ref('FleetView'), 'the fleet now'),
          '401': errorRef('Unauthorized'),
          '503': json(ref('Error'), 'Redis is unreachable (`redis_unavailable`); try again'),
        },
      },
    },
  };
}

/** Shared schemas (request bodies from the routes' zod schemas), error responses and security schemes. */
function components(opts: { admin: boolean }): OpenApiDocument['components'] {
  return {
    schemas: {
      CreateJobRequest: fromZod(createJobSchema),
      PatchJobRequest: fromZod(patchJobSchema),
      RealtimeAuthRequest: fromZod(realtimeAuthBodySchema),
      SignedUrlRequest: fromZod(signedUrlBodySchema),
      ViewerTokenRequest: fromZod(viewerTokenBodySchema),
      ...wireSchemas(),
      ...webhookSchemas(),
      ...responseSchemas,
      ...(opts.admin ? fleetSchemas : {}),
    },
    responses: {
      BadRequest: json(ref('Error'), 'the request is malformed; `fields` names what to fix'),
      Unauthorized: json(ref('Error'), 'missing or unknown credentials'),
      Forbidden: json(ref('Error'), 'not allowed for this customer'),
      NotFound: json(ref('Error'), "no such resource for this customer (another customer's is a 404 too)"),
      Conflict: json(
        ref('Error'),
        'the resource is not in a state that allows this, or an Idempotency-Key was reused with another body',
      ),
      TooLarge: json(ref('Error'), 'the body is too large'),
      RateLimited: json(ref('Error'), 'too many requests for this API key; see Retry-After', {
        'Retry-After': { schema: { type: 'integer' }, description: 'seconds until the window resets' },
      }),
    },
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        description:
          'An API key from KILN_API_KEYS, or on the viewer routes a viewer token from POST /v1/realtime/viewer-tokens',
      },
      adminBasic: { type: 'http', scheme: 'basic', description: 'KILN_ADMIN_USER / KILN_ADMIN_PASSWORD' },
    },
  };
}

/**
 * The API's OpenAPI 3.1 document: request bodies and query parameters come from the same zod
 * schemas the routes validate with, responses are described here. `admin` adds Bull Board's page
 * and the fleet view when they are mounted.
 */
export function buildOpenApiDocument(opts: { admin: boolean }): OpenApiDocument {
  const paths: Paths = {
    ...operationPaths(),
    ...accountPaths(),
    ...jobCollectionPaths(),
    ...jobPaths(),
    ...outputPaths(),
    ...presetAndStatsPaths(),
    ...uploadPaths(),
    ...realtimePaths(),
    ...signedAccessPaths(),
    ...webhookPaths(),
    ...(opts.admin ? adminPaths() : {}),
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Kiln API',
      version: 'v1',
      description:
        'Self-hosted video encoding farm. Every /v1 route needs `Authorization: Bearer <key>`; errors are `{error: {code, message, fields?}}`.',
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'jobs', description: 'Encoding jobs, their inputs and outputs' },
      { name: 'account', description: 'The customer behind a key' },
      {
        name: 'realtime',
        description:
          "Live job events over Pusher Channels: each carries the job's summary (components/schemas/JobEvent), never its files; read details from GET /v1/jobs/{id}",
      },
      {
        name: 'webhooks',
        description:
          'Signed webhooks (Standard Webhooks) for job.completed, job.failed, job.cancelled and output.completed, each carrying the whole job; see docs/webhooks.md',
      },
      { name: 'operations', description: 'Probes, metrics and documentation' },
    ],
    paths,
    components: components(opts),
  };
}
