import { z } from 'zod';
import { outputNameClashes } from './output-names.js';
import { outputSettingsRequestSchema, settingsIssues } from './output-settings.js';
import { getPreset, jobPool, PRESET_IDS } from './presets.js';
import { JOB_PRIORITIES, WATERMARK_CORNERS } from '@kiln/client/contract';

// The job's wire contract (record, summary, statuses, event names) is owned by @kiln/client, which
// the dashboard, the CLI and customers' pages share; the server re-exports it for its own callers.
export {
  ACTIVE_STATUSES,
  eventForStatus,
  JOB_EVENTS,
  JOB_PRIORITIES,
  QUEUE_EVENT,
  queueEventPayloadSchema,
  JOB_STATUSES,
  OUTPUT_STATUSES,
  jobPrioritySchema,
  jobSchema,
  PROBE_TEXT_MAX,
  SYNC_EVENT,
  TERMINAL_STATUSES,
  type Job,
  type JobError,
  type InputProbe,
  type JobClip,
  type JobLoudness,
  type JobWatermark,
  type JobEventName,
  type JobOutput,
  type JobPriority,
  type JobQueue,
  type QueuedPlace,
  type QueueEventPayload,
  type JobProgress,
  type JobStatus,
  type OutputFile,
  type OutputSettings,
  type OutputStatus,
} from '@kiln/client/contract';

/** Output names become file names: keep them to a safe alphabet. */
const outputName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'use 1-64 letters, digits, "_", "-" or "." (not first)');

export const outputRequestSchema = z.strictObject({
  preset: z.enum(PRESET_IDS, {
    error: (iss) =>
      iss.input === undefined ? 'preset is required' : `unknown preset; use one of: ${PRESET_IDS.join(', ')}`,
  }),
  name: outputName.optional(),
  /** Changes to the preset for this output; each is checked against the preset. */
  settings: outputSettingsRequestSchema.optional(),
});
export type OutputRequest = z.infer<typeof outputRequestSchema>;

const MAX_METADATA_BYTES = 2048;
/** A week: far past any input Kiln accepts (KILN_MAX_INPUT_SECONDS is at most that too). */
const MAX_CLIP_SECONDS = 7 * 24 * 3600;

/** Body of `POST /v1/jobs`. */
export const createJobSchema = z
  .strictObject({
    input: z
      .string({ error: 'input is required: an http(s):// URL or a file:// path' })
      .min(1)
      .max(2048)
      .refine(
        (s) => /^(file|https?|upload):\/\//i.test(s),
        'input must be an http(s):// URL, an upload://<id> or a file:// path',
      ),
    outputs: z
      .array(outputRequestSchema, { error: 'outputs is required: a list of {preset}' })
      .min(1, 'at least one output')
      .max(10),
    metadata: z
      .record(z.string().max(64), z.string().max(512))
      .refine((m) => Object.keys(m).length <= 32, 'at most 32 keys')
      .refine(
        (m) => Buffer.byteLength(JSON.stringify(m)) <= MAX_METADATA_BYTES,
        `at most ${MAX_METADATA_BYTES} bytes as JSON`,
      )
      .optional(),
    priority: z
      .enum(JOB_PRIORITIES, { error: `priority must be one of: ${JOB_PRIORITIES.join(', ')}` })
      .default('normal'),
    /** Encode only this part of the input, to the frame: every output starts at `startSeconds` and ends before `endSeconds`. */
    clip: z
      .strictObject({
        startSeconds: z.number('must be a number of seconds').min(0, 'must be 0 or more').max(MAX_CLIP_SECONDS),
        endSeconds: z.number('must be a number of seconds').positive('must be above 0').max(MAX_CLIP_SECONDS),
      })
      .refine((c) => c.endSeconds > c.startSeconds, { path: ['endSeconds'], message: 'must be after startSeconds' })
      .optional(),
    /**
     * Normalise every output's audio to this integrated loudness (EBU R128), in two passes: the
     * input's audio is measured once, then each output applies one gain (or loudnorm's limiter
     * where the gain would push the true peak past `truePeakDb`).
     */
    loudness: z
      .strictObject({
        targetLufs: z
          .number('must be a number of LUFS, e.g. -16')
          .min(-70, 'must be -70 LUFS or more')
          .max(-5, 'must be -5 LUFS or less'),
        truePeakDb: z
          .number('must be a number of dBTP')
          .min(-9, 'must be -9 dBTP or more')
          .max(0, 'must be 0 dBTP or less')
          .default(-1.5),
      })
      .optional(),
    /**
     * Lay an image over every output's picture (thumbnails, storyboards and previews too), sized as
     * a share of the picture's width so it keeps its place on every rung of a ladder.
     */
    watermark: z
      .strictObject({
        image: z
          .string('must be the image as upload://<id>, http(s):// or file://')
          .min(1, 'must be the image as upload://<id>, http(s):// or file://'),
        corner: z
          .enum(WATERMARK_CORNERS, { error: `must be one of: ${WATERMARK_CORNERS.join(', ')}` })
          .default('bottom-right'),
        widthPercent: z
          .number('must be a percentage of the picture width')
          .min(1, 'must be 1 % or more')
          .max(100, 'must be 100 % or less')
          .default(15),
        marginPercent: z
          .number('must be a percentage of the picture width')
          .min(0, 'must be 0 % or more')
          .max(25, 'must be 25 % or less')
          .default(3),
        opacity: z
          .number('must be a number from 0 to 1')
          .min(0, 'must be 0 or more')
          .max(1, 'must be 1 or less')
          .default(1),
      })
      .optional(),
  })
  .superRefine((body, ctx) => {
    if (body.watermark && body.outputs.every((o) => getPreset(o.preset)?.kind === 'audio'))
      ctx.addIssue({ code: 'custom', path: ['watermark'], message: 'no output of this job has a picture to mark' });
    if (jobPool(body.outputs.map((o) => o.preset)) === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['outputs'],
        message: 'these presets need two different worker pools; split them into one job per pool',
      });
    for (const { index, message } of outputNameClashes(body.outputs))
      ctx.addIssue({ code: 'custom', path: ['outputs', index, 'name'], message });
    body.outputs.forEach((out, index) => {
      const preset = getPreset(out.preset);
      if (!preset || !out.settings) return;
      for (const { field, message } of settingsIssues(preset, out.settings))
        ctx.addIssue({ code: 'custom', path: ['outputs', index, 'settings', field], message });
    });
  });
export type CreateJobRequest = z.infer<typeof createJobSchema>;

/** Payload of a BullMQ encode job: the job's id; everything else is read from the job store. */
export interface EncodeJobData {
  jobId: string;
  customerId: string;
  /**
   * Set once the job's encode was split into chunks (BullMQ children): the next run of this BullMQ
   * job stitches the chunks of plan `planId` instead of starting over.
   */
  chunked?: { planId: string } | undefined;
}
