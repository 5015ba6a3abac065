export { KilnApiClient, apiErrorFrom, type FetchFn } from './api.client.js';
export * from './api.types.js';
export { runCli, buildProgram } from './cli.js';
export type { CliIo, CommandContext } from './cli-context.js';
export { ApiError, UsageError, type FieldError } from './errors.js';
export { renderError, type RenderedError } from './error-render.js';
export { JobVersions, type OfferOutcome } from './job-versions.js';
export { JobWatcher, type JobWatcherOptions, type RealtimeState } from './watch.js';
export { connectRealtime, type RealtimeConnection, type RealtimeHandlers } from './realtime.adapter.js';
