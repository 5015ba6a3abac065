/** What clients (dashboard, CLI) may load at run time: pure code, no server dependencies. */
export { isJob, isJobSummary, jobFromEvent } from './job-event.guard.js';
export { compareJobVersions, isFullJob, type VersionOutcome } from './job-version.js';
export type { Job, JobOutput, JobProgress, JobStatus, OutputFile } from './job.schema.js';
export type { JobEventPayload, JobOutputSummary, JobSummary } from './job-summary.js';
export { readApiError, type ApiErrorBody, type ApiFieldError } from './api-error.reader.js';
