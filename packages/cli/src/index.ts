export { runCli, buildProgram } from './cli.js';
export type { CliIo, CommandContext } from './cli-context.js';
export { UsageError } from './errors.js';
export { renderError, type RenderedError } from './error-render.js';
export { JobWatcher, type JobWatcherOptions, type RealtimeState } from './watch.js';
