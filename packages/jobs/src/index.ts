export * from './channels.js';
export * from './job.schema.js';
export { outputFileName, outputNameClashes, type NamedOutput } from './output-names.js';
export * from './job-summary.js';
export { compareJobVersions, isFullJob, type VersionOutcome } from '@kiln/client/contract';
export * from './presets.js';
export { applyOutputSettings, presetHeight, settingsIssues, skipsInput } from './output-settings.js';
export * from './queue.js';
export { ChunkPlanRepository, type ChunkCommit, type StoredChunkPlan } from './chunk-plan.repository.js';
export {
  EMPTY_PROGRESS,
  JobRepository,
  resetOutputs,
  type CreateLimits,
  type JobPatch,
  type RunState,
  type UpdateResult,
} from './job.repository.js';
export { InvalidCursorError, JobLimitExceededError } from './jobs.errors.js';
export {
  captionFileName,
  DASH_MANIFEST_FILE,
  directoryEntryFile,
  HLS_MASTER_FILE,
  outputDownloadPath,
  STORYBOARD_SPRITE_FILE,
  STORYBOARD_VTT_FILE,
  THUMBNAIL_FILE_PATTERN,
} from './output-paths.js';
export {
  createRedisConnection,
  createRequestRedisConnection,
  isRedisUnavailableError,
  redisNodes,
  redisReady,
  redisTarget,
  type RedisClient,
  type RedisTarget,
} from './redis-connection.js';
export { FinishedJobsRepository } from './finished-jobs.repository.js';
export { JobIndexBackfill, JOB_INDEX_VERSION, type BackfillResult } from './job-index.backfill.js';
export { JobKeys } from './job-index.keys.js';
export { JobStatsRepository, type JobCounters } from './job-stats.repository.js';
export { UsageRepository, type CustomerUsage } from './usage.repository.js';
