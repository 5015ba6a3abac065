export { formatBanner, READY_LINE } from './banner.js';
export { PortTakenError, ProcessStartError, RedisServerMissingError, StackStartError } from './stack.errors.js';
export { ManagedChild, type ChildExit, type ManagedChildOptions } from './managed-child.js';
export { assertPortsFree, type PortClaim } from './port-check.js';
export { canConnect, getFreePort, isPortFree } from './ports.js';
export { generatePusherCredentials, type PusherCredentials } from './pusher-credentials.js';
export { answersPing, pingRedis, redisInline, redisProcessId } from './redis-ping.js';
export {
  hasRedisServer,
  spawnRedisServer,
  type RedisServerHandle,
  type SpawnRedisServerOptions,
} from './redis-server.js';
export { appEntry, findRepoRoot, type AppName } from './repo-root.js';
export { soketiBin, spawnSoketi, type SoketiHandle, type SpawnSoketiOptions } from './soketi.js';
export { maskRedisUrl } from './redis-provider.js';
export { startStack, type RunningStack, type StartStackOptions } from './stack.js';
export { EMBEDDED_SOKETI_METRICS_PORT, EMBEDDED_SOKETI_PORT } from './stack-config.js';
export { waitForHttp, waitForTcp, type WaitOptions } from './wait-for.js';
