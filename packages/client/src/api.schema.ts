import * as z from 'zod/mini';
import type { JobStatus, OutputSettings } from './job.schema.js';

/** What a pusher-js client needs to reach the customer's channel (`GET /v1/me`'s `pusher`). */
export const pusherSettingsSchema = z.object({
  key: z.string(),
  cluster: z.string(),
  wsHost: z.string(),
  wsPort: z.int(),
  forceTLS: z.boolean(),
});
export type PusherSettings = z.infer<typeof pusherSettingsSchema>;

/** `GET /v1/me`: who the key belongs to, its channel, and how to reach Pusher. */
export const meSchema = z.object({
  customerId: z.string(),
  channel: z.string().check(z.meta({ examples: ['private-customer-acme'] })),
  pusher: pusherSettingsSchema,
});
export type Me = z.infer<typeof meSchema>;

/** One limit of `GET /v1/usage` and what the customer uses of it; `limit` null = none. */
const usageAgainstLimitSchema = z.object({
  used: z.int().check(z.minimum(0)),
  limit: z.nullable(z.int().check(z.minimum(1))),
});
export type UsageAgainstLimit = z.infer<typeof usageAgainstLimitSchema>;

/**
 * `GET /v1/usage`: the customer's usage against its limits. `running`: jobs probing, encoding or
 * storing; `queued`: jobs waiting; `storedBytes`: bytes of completed outputs plus uploads.
 */
export const usageSchema = z.object({
  customerId: z.string(),
  running: usageAgainstLimitSchema,
  queued: usageAgainstLimitSchema,
  storedBytes: usageAgainstLimitSchema,
});
export type Usage = z.infer<typeof usageSchema>;

/** One entry of `GET /v1/presets`. */
export interface Preset {
  id: string;
  description: string;
  kind?: string;
  extension?: string;
  contentType?: string;
  /** The capability pool a worker must run to encode it (`cpu` runs everywhere). */
  pool?: string;
}

/** `POST /v1/uploads`: the stored file, and the `input` a job can name it by (`upload://<id>`). */
export const uploadSchema = z.object({
  id: z.string(),
  sizeBytes: z.number(),
  input: z.string().check(z.minLength(1)),
});
export type Upload = z.infer<typeof uploadSchema>;

/** One output a new job should produce. */
export interface OutputRequest {
  preset: string;
  name?: string;
  /** Changes to the preset for this output (docs/api.md, "Per-output settings"). */
  settings?: OutputSettings;
}

const count = z.number().check(z.minimum(0));

/** One hour of `GET /v1/stats`' `jobsPerHour`: its start (ISO, UTC) and the jobs created in it. */
const hourCountSchema = z.object({
  hour: z.string().check(z.refine((s) => !Number.isNaN(Date.parse(s)))),
  count,
});
export type HourCount = z.infer<typeof hourCountSchema>;

/** `GET /v1/stats`: the customer's job figures. */
export const statsSchema = z.object({
  /** Jobs by status (a status this client does not know yet is kept, not refused). */
  counts: z.record(z.string(), count) as z.ZodMiniType<Partial<Record<JobStatus, number>>>,
  /** The last 24 hours, oldest first. */
  jobsPerHour: z.array(hourCountSchema),
  /** Mean seconds of media encoded per second of work over completed jobs; null without any. */
  meanEncodeSpeed: z.nullable(count),
  scannedJobs: count,
  /** True when counts and speed cover only the newest `scannedJobs` jobs. */
  truncated: z.boolean(),
});
export type Stats = z.infer<typeof statsSchema>;

/** Checks a `GET /v1/stats` body before a chart or summary uses it. */
export function isStats(value: unknown): value is Stats {
  return statsSchema.safeParse(value).success;
}

/** `POST /v1/jobs/:id/outputs/:name/url`: a URL that plays one output with no headers until `expiresAt`. */
export const signedUrlSchema = z.object({
  url: z.string(),
  expiresAt: z.string().check(z.meta({ format: 'date-time' })),
});
export type SignedUrl = z.infer<typeof signedUrlSchema>;
