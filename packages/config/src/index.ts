export { ConfigError, InputRootsSyntaxError, type ConfigIssue } from './config.errors.js';
export { isCustomerId } from './customer-id.js';
export { isInside } from './is-inside.js';
export { loadConfig, loadConfigOrExit } from './load-config.js';
export { formatByteSize, parseByteSize } from './byte-size.js';
export {
  CustomerLimits,
  customerLimits,
  limitFields,
  type LimitOverrides,
  type LimitValues,
} from './customer-limits.js';
export {
  ApiKeyMap,
  apiKeys,
  bool,
  commonFields,
  csv,
  logLevel,
  port,
  positiveInt,
  pusherFields,
  pusherSettings,
  type PusherSettings,
} from './fields.js';
export { redisPrefix, redisUrl, redisUrls, withRedisCluster } from './redis-fields.js';
export { INPUT_FILE_REFUSED, InputRoots, inputRoots } from './input-roots.js';
