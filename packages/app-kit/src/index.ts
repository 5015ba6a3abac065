export { jsonErrorHandler, notFoundHandler, readOnlyMethods, sendError } from './error-body.js';
export { healthRouter } from './health.router.js';
export { isReadyMessage, type ReadyMessage } from './ready-signal.js';
export { closeServer, runApp, type BuiltApp } from './run-app.js';
export { installShutdown, type Shutdown } from './shutdown.js';
