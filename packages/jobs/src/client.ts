/** What clients (dashboard, CLI) may load at run time: pure code, no server dependencies. */
export { isJob, jobFromEvent } from './job-event.guard.js';
export type { Job, JobEventPayload, JobOutput, JobProgress, JobStatus } from './job.schema.js';
export { readApiError, type ApiErrorBody, type ApiFieldError } from './api-error.reader.js';
