export { getFreePort, isPortFree, ManagedChild, waitForHttp } from '@kiln/stack';
export { makeClip, makeCorruptFile, type ClipSpec } from './make-clip.js';
export { channelsOf, startPusherRecorder, type PusherRecorder, type RecordedRequest } from './pusher-recorder.js';
export { startApp, type AppHandle, type AppName } from './start-app.js';
export { startRedis, type RedisHandle } from './start-redis.js';
export { startSoketi, type SoketiHandle } from './start-soketi.js';
export { waitFor } from './wait-for.js';
