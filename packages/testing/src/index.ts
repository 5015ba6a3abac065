export { getFreePort, isPortFree, ManagedChild, waitForHttp, waitForTcp, generatePusherCredentials } from '@kiln/stack';
export { playlistUris, walkHlsPlaylists, type HlsFetch, type HlsWalkEntry } from './hls-walk.js';
export { listenOnLoopback, UNREACHABLE_PUSHER_ENV } from './app-fixtures.js';
export { ffprobeJson, type ProbeJson } from './ffprobe-json.js';
export {
  makeClip,
  makeCorruptFile,
  makeGapClip,
  makePng,
  withSubtitles,
  type ClipSpec,
  type SubtitleSpec,
} from './make-clip.js';
export { channelsOf, startPusherRecorder, type PusherRecorder, type RecordedRequest } from './pusher-recorder.js';
export { signPusherRequest, type SignedPusherRequest } from './pusher-signature.js';
export { startApp, type AppHandle, type AppName, type StartAppOptions } from './start-app.js';
export { startProcess, type ProcessHandle, type StartProcessOptions } from './start-process.js';
export { ProcessNotHealthyError } from './testing.errors.js';
export { startRedis, type RedisHandle, type StartRedisOptions } from './start-redis.js';
export { startRedisCluster, type RedisClusterHandle, type StartRedisClusterOptions } from './start-redis-cluster.js';
export { useRedis, type UsedRedis } from './use-redis.js';
export { startSoketi, type SoketiHandle } from './start-soketi.js';
export { waitFor, type WaitForOptions } from './wait-for.js';
export { startS3, type S3Handle, type StartS3Options } from './start-s3.js';
export { countRedisCommands, type CommandCount } from './redis-command-count.js';
export { isProcessRunning } from './process-running.js';
export {
  countFrames,
  idetCounts,
  integratedLufs,
  measureSsim,
  streamDurations,
  type FrameSsim,
} from './media-quality.js';
export { parseStoryboardVtt, parseVttTimestamp, type StoryboardCue } from './storyboard-vtt.js';
export { readWebpAnimation, type WebpAnimation } from './webp-animation.js';
