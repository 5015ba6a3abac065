export {
  errorBody,
  jsonErrorHandler,
  notFoundHandler,
  readOnlyMethods,
  sendError,
  type ErrorBody,
} from './error-body.js';
export { healthRouter, type HealthDeps } from './health.router.js';
export { announceReady, isReadyMessage, type ReadyMessage } from './ready-signal.js';
export { closeServer, listen, runApp, type BuiltApp, type RunAppOptions } from './run-app.js';
export { installShutdown, type Shutdown, type ShutdownOptions } from './shutdown.js';
