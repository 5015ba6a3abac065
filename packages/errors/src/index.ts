export { KilnError, kilnErrorCode } from './kiln.errors.js';
