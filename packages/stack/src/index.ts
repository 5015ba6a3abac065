export { ManagedChild } from './managed-child.js';
export { canConnect, getFreePort, isPortFree, waitForHttp } from './ports.js';
export { hasRedisServer, RedisServerMissingError, spawnRedisServer, type RedisServerHandle } from './redis-server.js';
export { appEntry, findRepoRoot } from './repo-root.js';
export { generatePusherCredentials, PortTakenError, spawnSoketi, type PusherCredentials, type SoketiHandle } from './soketi.js';
export { StackStartError, startStack, type RunningStack } from './stack.js';
