/**
 * The wire contract alone (zod schemas, types, statuses, event names, guards and the merge rule),
 * without the API client or pusher-js: what a server that produces these shapes imports.
 */
export * from './job.schema.js';
export * from './job-events.js';
export * from './job.guard.js';
export {
  meSchema,
  pusherSettingsSchema,
  usageSchema,
  type Me,
  type PusherSettings,
  type Usage,
  type UsageAgainstLimit,
} from './api.schema.js';
export * from './webhooks.schema.js';
