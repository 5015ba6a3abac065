export { ConfigError, loadConfig, loadConfigOrExit, type ConfigIssue } from './load-config.js';
export {
  apiKeys,
  bool,
  commonFields,
  csv,
  logLevel,
  port,
  positiveInt,
  pusherFields,
  pusherSettings,
  redisPrefix,
  redisUrl,
  type PusherSettings,
} from './fields.js';
export { INPUT_FILE_REFUSED, InputRoots, InputRootsSyntaxError, inputRoots, isStrictlyInside } from './input-roots.js';
