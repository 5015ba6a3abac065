export * from './channels.js';
export * from './job.schema.js';
export * from './job-summary.js';
export { compareJobVersions, isFullJob, type VersionOutcome } from './job-version.js';
export * from './presets.js';
export * from './queue.js';
export { EMPTY_PROGRESS, InvalidCursorError, JobRepository, resetOutputs, type JobPatch, type UpdateResult } from './job.repository.js';
export { createRedisConnection } from './redis-connection.js';
