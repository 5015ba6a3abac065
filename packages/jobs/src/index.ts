export * from './channels.js';
export * from './job.schema.js';
export * from './presets.js';
export * from './queue.js';
export { EMPTY_PROGRESS, InvalidCursorError, JobRepository, resetOutputs, type JobPatch, type RunState, type UpdateResult } from './job.repository.js';
export { createRedisConnection } from './redis-connection.js';
