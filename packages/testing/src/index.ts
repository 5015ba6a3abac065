export { getFreePort, isPortFree, ManagedChild, waitForHttp, waitForTcp, generatePusherCredentials } from '@kiln/stack';
export { makeClip, makeCorruptFile, type ClipSpec } from './make-clip.js';
export { channelsOf, startPusherRecorder, type PusherRecorder, type RecordedRequest } from './pusher-recorder.js';
export { signPusherRequest, type SignedPusherRequest } from './pusher-signature.js';
export { startApp, type AppHandle, type AppName, type StartAppOptions } from './start-app.js';
export { ProcessNotHealthyError, startProcess, type ProcessHandle, type StartProcessOptions } from './start-process.js';
export { startRedis, type RedisHandle, type StartRedisOptions } from './start-redis.js';
export { startSoketi, type SoketiHandle } from './start-soketi.js';
export { waitFor, type WaitForOptions } from './wait-for.js';
