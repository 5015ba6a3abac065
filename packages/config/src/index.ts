export { ConfigError, loadConfig, loadConfigOrExit, type ConfigIssue } from './load-config.js';
export { apiKeys, bool, commonFields, csv, logLevel, port, positiveInt, pusherFields, pusherSettings, redisPrefix, redisUrl, type PusherSettings } from './fields.js';
