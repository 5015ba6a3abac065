export * from './channels.js';
export * from './job.schema.js';
export { outputNameClashes, storedOutputName, type NamedOutput } from './output-names.js';
export * from './presets.js';
export * from './queue.js';
export { EMPTY_PROGRESS, InvalidCursorError, JobRepository, resetOutputs, type JobPatch, type UpdateResult } from './job.repository.js';
export { directoryEntryFile, HLS_MASTER_FILE, outputDownloadPath, THUMBNAIL_FILE_PATTERN } from './output-paths.js';
export { createRedisConnection, createRequestRedisConnection, isRedisUnavailableError, redisReady } from './redis-connection.js';
