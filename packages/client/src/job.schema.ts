import * as z from 'zod/mini';

/**
 * The wire contract of a job: the record `GET /v1/jobs/:id` returns and the summary every `job.*`
 * event carries. Each shape is one zod schema; the TypeScript types, the clients' guards, the job
 * repository's decoding and the API's OpenAPI response schemas all derive from it. Formats that are
 * promises rather than checks (`uuid`, `date-time`, the checksum pattern) are documentation only,
 * so a client never drops a job over them. Written with `zod/mini`, which keeps browser bundles small.
 */

/** Job states, in the order a job normally moves through them. */
export const JOB_STATUSES = ['queued', 'probing', 'encoding', 'storing', 'completed', 'failed', 'cancelled'] as const;
/** A job's status; the API refuses none of these, and a client refuses any other. */
export const jobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof jobStatusSchema>;
/** Statuses a job never leaves on its own (only a retry moves it on). */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];
/** Statuses of a job a worker is running. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ['probing', 'encoding', 'storing'];

/** True for a status the job will not leave without a retry. */
export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * One output's states: the job's status stays coarse, the detail is per output. `skipped`: the
 * output's `settings.skipIfBelow` found the input too small for it; nothing was made, and the job
 * still completes.
 */
export const OUTPUT_STATUSES = ['pending', 'encoding', 'completed', 'failed', 'skipped'] as const;
export type OutputStatus = (typeof OUTPUT_STATUSES)[number];

const isoDateTime = z.string().check(z.meta({ format: 'date-time' }));
const jobId = z.string().check(z.minLength(1), z.meta({ format: 'uuid' }));
const CHECKSUM = { pattern: '^sha256:[0-9a-f]{64}$' };

/** How far the running encode is. */
export const jobProgressSchema = z.object({
  /** 0-100, from ffmpeg's position against the probed duration. */
  percent: z.number().check(z.minimum(0), z.maximum(100)),
  fps: z.nullable(z.number()),
  speed: z.nullable(z.number()).check(z.meta({ description: 'multiple of real time' })),
  etaSeconds: z.nullable(z.number()),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;

/** One file of a directory output. */
export const outputFileSchema = z.object({
  /** Relative to the output, `/`-separated: `v0/seg_000.ts`. */
  path: z.string(),
  sizeBytes: z.int(),
  /** `sha256:<hex>`; absent on jobs stored before checksums were recorded. */
  checksum: z.optional(z.string().check(z.meta(CHECKSUM))),
});
export type OutputFile = z.infer<typeof outputFileSchema>;

/**
 * What a job's request changed of an output's preset (`POST /v1/jobs`' `outputs[].settings`), kept
 * on the output as asked for. Each is optional; the preset's own value stands for any not given.
 */
export const outputSettingsSchema = z.object({
  /** Bound on the picture's short side (as the preset's height), at most the preset's own. */
  maxHeight: z.optional(z.int()),
  /** The encoder's constant rate factor (x264/x265 0-51, SVT-AV1 and VP9 0-63). */
  crf: z.optional(z.int()),
  /** Peak video bit rate in kbit/s (`-maxrate`, VBV buffer twice that). */
  peakKbps: z.optional(z.int()),
  /** Frames per second at most: faster input is brought down to this rate. */
  maxFps: z.optional(z.number()),
  /** Audio bit rate in kbit/s. */
  audioKbps: z.optional(z.int()),
  /** Skip the output (status `skipped`) when the input's short side is under this many pixels; `true`: under the output's height bound. */
  skipIfBelow: z.optional(z.union([z.boolean(), z.int()])),
});
export type OutputSettings = z.infer<typeof outputSettingsSchema>;

/** One output of a job, as the API's record lists it. */
export const jobOutputSchema = z.object({
  name: z.string(),
  /** Any string on the wire, so a client keeps working when a preset is added; the API document lists today's. */
  preset: z.string(),
  /** Present when the request changed the preset's settings for this output. */
  settings: z.optional(outputSettingsSchema),
  status: z.enum(OUTPUT_STATUSES),
  contentType: z.string(),
  sizeBytes: z.nullable(z.int()),
  durationSeconds: z.nullable(z.number()),
  width: z.nullable(z.int()),
  height: z.nullable(z.int()),
  // Optional only because jobs stored before it existed lack it.
  bitrateKbps: z.optional(
    z.nullable(z.int()).check(
      z.meta({
        description:
          'Overall bit rate in kilobits per second (1000 bit/s): size × 8 / duration, container and audio included. Null until completed and for outputs without a duration (thumbnails).',
      }),
    ),
  ),
  checksum: z.optional(
    z.nullable(z.string().check(z.meta(CHECKSUM))).check(
      z.meta({
        examples: ['sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
        description:
          'SHA-256 of the stored file, taken while it was stored: compare it with the downloaded bytes. Null until completed and for directory outputs (HLS, thumbnails), whose `files` carry one each.',
      }),
    ),
  ),
  downloadPath: z.nullable(z.string()).check(
    z.meta({
      description:
        'API path streaming the file once completed: GET it with the same bearer key. For a directory output it names the entry file (`/v1/jobs/<id>/outputs/hls/master.m3u8`, `/v1/jobs/<id>/outputs/thumbnails/thumb-01.jpg`): give it to an HLS player as is, and every relative URI in the playlists, like each path in `files`, resolves against it to a file the API serves.',
      examples: ['/v1/jobs/job_2x9k/outputs/mp4-720p', '/v1/jobs/job_2x9k/outputs/hls/master.m3u8'],
    }),
  ),
  signedUrl: z.optional(
    z.string().check(
      z.meta({
        description:
          'Only on `GET /v1/jobs/{id}?signed=true` of a completed job: a URL that plays this output with no credentials (`<video src>`, hls.js) until `signedUrlExpiresAt`: `<origin>/play/<token>/<entry file>`.',
      }),
    ),
  ),
  signedUrlExpiresAt: z.optional(isoDateTime),
  files: z.optional(
    z.array(outputFileSchema).check(
      z.meta({
        description:
          "Directory outputs (HLS, thumbnails): every file, relative to the output. Only in the API's record, never in events (their summary has `fileCount`).",
      }),
    ),
  ),
});
export type JobOutput = z.infer<typeof jobOutputSchema>;

/** Why a job failed: a stable `code` and a message for people. */
export const jobErrorSchema = z.object({ code: z.string(), message: z.string() });
export type JobError = z.infer<typeof jobErrorSchema>;

/** Job priorities, highest first: they order one customer's waiting jobs (customers share the farm fairly). */
export const JOB_PRIORITIES = ['high', 'normal', 'low'] as const;
export const jobPrioritySchema = z.enum(JOB_PRIORITIES);
export type JobPriority = z.infer<typeof jobPrioritySchema>;

/** Where a queued job stands in line: only on `GET /v1/jobs/:id` and list rows while it is queued. */
export const jobQueueSchema = z.object({
  /** 1 = the next job to start among everything that runs before it. */
  position: z.int().check(z.minimum(1)),
  etaSeconds: z.nullable(
    z.number().check(
      z.meta({
        description:
          "Seconds until it starts, from the fleet's measured throughput (recent job times, the jobs ahead, the encode slots online); null while nothing was measured yet or no worker can run it.",
      }),
    ),
  ),
  /** The capability pool it waits in. */
  pool: z.string(),
  reason: z.nullable(
    z.string().check(
      z.meta({
        description:
          'Why it waits beyond its turn, in words: no worker of its pool online, or the customer at its running limit. Null otherwise.',
      }),
    ),
  ),
});
export type JobQueue = z.infer<typeof jobQueueSchema>;

/** One queued job's place, as a `queue.updated` event lists it. */
export const queuedPlaceSchema = z.extend(jobQueueSchema, { id: jobId });
export type QueuedPlace = z.infer<typeof queuedPlaceSchema>;

/** Payload of a `queue.updated` event: the customer's first queued jobs by place (at most 50: under 10 KB). */
export const queueEventPayloadSchema = z
  .object({ jobs: z.array(queuedPlaceSchema).check(z.maxLength(50)), at: isoDateTime })
  .check(
    z.meta({
      description:
        "Data of the `queue.updated` event on `private-customer-<customerId>`: the places of the customer's first 50 queued jobs (a job not listed keeps the `queue` of its last read). Sent only while the channel is watched and the line changed, at most once per progress interval.",
    }),
  );
export type QueueEventPayload = z.infer<typeof queueEventPayloadSchema>;

/** Longest string an input probe keeps (codec, container and pixel format names are far shorter). */
export const PROBE_TEXT_MAX = 64;
const probeText = z.string().check(z.maxLength(PROBE_TEXT_MAX));
const kbps = z.nullable(z.number().check(z.minimum(0), z.meta({ description: 'kilobits per second (1000 bit/s)' })));

/** The input's first video stream, as ffprobe reported it. */
const inputProbeVideoSchema = z.object({
  codec: probeText,
  /** Coded size in pixels, before rotation. */
  width: z.int(),
  height: z.int(),
  fps: z.nullable(z.number()),
  pixelFormat: z.nullable(probeText),
  bitrateKbps: kbps,
});

/** The input's first audio stream, as ffprobe reported it. */
const inputProbeAudioSchema = z.object({
  codec: probeText,
  channels: z.nullable(z.int()),
  sampleRate: z.nullable(z.int().check(z.meta({ description: 'Hz' }))),
  bitrateKbps: kbps,
});

/** What the worker's ffprobe found in the input: a few hundred bytes, only on reads from the API. */
export const inputProbeSchema = z
  .object({
    durationSeconds: z.number().check(z.minimum(0)),
    sizeBytes: z.nullable(z.number().check(z.minimum(0))),
    /** ffprobe's demuxer name(s), e.g. `mov,mp4,m4a,3gp,3g2,mj2`. */
    container: z.nullable(probeText),
    video: z.nullable(inputProbeVideoSchema),
    audio: z.nullable(inputProbeAudioSchema),
  })
  .check(
    z.meta({
      description:
        "The input as the worker's ffprobe found it, stored when the probe succeeds (a retry probes again and replaces it). Null until then; absent on jobs stored before it existed. Only on `GET /v1/jobs/{id}` and list reads, never in events.",
    }),
  );
export type InputProbe = z.infer<typeof inputProbeSchema>;

/** The part of the input a job encodes (`POST /v1/jobs`' `clip`): from `startSeconds` up to `endSeconds`. */
export const jobClipSchema = z.object({
  startSeconds: z.number().check(z.minimum(0)),
  endSeconds: z.number().check(z.meta({ description: 'Past the end of the input means to its end.' })),
});
export type JobClip = z.infer<typeof jobClipSchema>;

/** The loudness a job brings its audio to (`POST /v1/jobs`' `loudness`): two-pass `loudnorm`, EBU R128. */
export const jobLoudnessSchema = z.object({
  targetLufs: z.number().check(z.meta({ description: "Integrated loudness of every output's audio, LUFS." })),
  truePeakDb: z.number().check(z.meta({ description: 'Highest true peak, dBTP.' })),
});
export type JobLoudness = z.infer<typeof jobLoudnessSchema>;

/** The corners a watermark may sit in. */
export const WATERMARK_CORNERS = ['top-left', 'top-right', 'bottom-left', 'bottom-right'] as const;

/** The image laid over every output's picture (`POST /v1/jobs`' `watermark`). */
export const jobWatermarkSchema = z.object({
  image: z
    .string()
    .check(z.meta({ description: 'The image: upload://<id>, http(s):// or file:// (PNG, JPEG or WebP).' })),
  corner: z.enum(WATERMARK_CORNERS),
  widthPercent: z
    .number()
    .check(z.meta({ description: "The image's width as a share of the picture's width, percent." })),
  marginPercent: z.number().check(z.meta({ description: "Distance from the picture's edges, percent of its width." })),
  opacity: z.number().check(z.meta({ description: '0 (invisible) to 1.' })),
});
export type JobWatermark = z.infer<typeof jobWatermarkSchema>;

/** The public JSON of a job, as the API returns it (events carry its summary: {@link jobSummarySchema}). */
export const jobSchema = z.object({
  id: jobId,
  customerId: z.string(),
  status: jobStatusSchema,
  priority: jobPrioritySchema,
  /** The capability pool whose workers run it (`cpu` unless an output's preset needs another). */
  pool: z.string(),
  /** Only while queued, and only on reads from the API (never in events). */
  queue: z.optional(jobQueueSchema),
  input: z.string(),
  // Optional only because jobs stored before it existed lack it.
  inputProbe: z.optional(z.nullable(inputProbeSchema)),
  metadata: z.record(z.string(), z.string()),
  /** Present when the job encodes only part of its input: every output is cut to it, to the frame. */
  clip: z.optional(jobClipSchema),
  /** Present when every output's audio is normalised to a loudness. */
  loudness: z.optional(jobLoudnessSchema),
  /** Present when every output's picture carries a watermark. */
  watermark: z.optional(jobWatermarkSchema),
  progress: jobProgressSchema,
  outputs: z.array(jobOutputSchema),
  error: z.nullable(jobErrorSchema),
  attempts: z.int().check(z.minimum(0)),
  seq: z
    .int()
    .check(z.minimum(1), z.meta({ description: 'Grows with every stored change; keep the version with the highest.' })),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  startedAt: z.nullable(isoDateTime),
  finishedAt: z.nullable(isoDateTime),
});
export type Job = z.infer<typeof jobSchema>;

/**
 * One output as a list row shows it: everything but `files`, whose length grows with the video
 * (an HLS ladder of 30 minutes lists over a thousand segments); `fileCount` says how many there are.
 */
export const jobOutputSummarySchema = z
  .extend(z.omit(jobOutputSchema, { files: true }), {
    fileCount: z.optional(
      z
        .int()
        .check(z.meta({ description: "Directory outputs (HLS, thumbnails): how many files the job's record lists." })),
    ),
  })
  .check(z.meta({ description: 'An output without its `files`.' }));
export type JobOutputSummary = z.infer<typeof jobOutputSummarySchema>;

/**
 * What every `job.*` event carries: everything a list row shows (dashboard, `kiln jobs`), and
 * nothing whose size grows with the job. Left out: `input` and `metadata` (up to 2 KB each, shown
 * by no list), `inputProbe` (detail only), and each output's `files`. A full {@link Job} is a JobSummary too, so clients keep
 * either in one place; details come from `GET /v1/jobs/:id`.
 */
export const jobSummarySchema = z
  .extend(z.omit(jobSchema, { input: true, inputProbe: true, metadata: true }), {
    outputs: z.array(jobOutputSummarySchema).check(z.maxLength(10)),
    error: z.nullable(
      z.object({ code: z.string(), message: z.string().check(z.meta({ description: 'at most 1 KB as JSON' })) }),
    ),
    truncated: z.optional(
      z.literal(true).check(
        z.meta({
          description:
            'Only on a minimal summary (no outputs), sent if a job would not fit even as a summary: read the job.',
        }),
      ),
    ),
  })
  .check(
    z.meta({
      description:
        "What every `job.*` event carries: the job as a list row shows it. Not in it: `input`, `inputProbe`, `metadata` and each output's `files` (`fileCount` says how many); the error message is cut to 1 KB (ending in `…`). Read the job from GET /v1/jobs/{id} for details.",
    }),
  );
export type JobSummary = z.infer<typeof jobSummarySchema>;

/** Payload of every `job.*` event: id, seq and status at the top, and the job's summary. */
export const jobEventPayloadSchema = z
  .object({ id: jobId, seq: z.int().check(z.minimum(1)), status: jobStatusSchema, job: jobSummarySchema })
  .check(
    z.meta({
      description:
        'Data of the `job.created`, `job.progress`, `job.completed`, `job.failed` and `job.cancelled` events on `private-customer-<customerId>`: at most 10 KB for any job. Keep per job the version with the highest `seq`; at an equal `seq` the record from the API has the details the event lacks.',
    }),
  );
export type JobEventPayload = z.infer<typeof jobEventPayloadSchema>;

/** `GET /v1/jobs`: one page, newest first. */
export const jobPageSchema = z.object({ data: z.array(jobSchema), nextCursor: z.nullable(z.string()) });
export type JobPage = z.infer<typeof jobPageSchema>;
