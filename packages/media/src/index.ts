export type { AudioStreamInfo, MediaInfo, VideoStreamInfo } from './media-info.js';
export { parseFfprobeJson, type FfprobeJson, type FfprobeStream } from './media-info.parser.js';
export {
  MediaFrameTooLargeError,
  MediaProbeError,
  MediaToolError,
  TranscodeBudgetExceededError,
  TranscodeCancelledError,
  TranscodeError,
  TranscodeStalledError,
} from './media.errors.js';
export { INPUT_FORMAT_WHITELIST, probe, type ProbeOptions } from './ffprobe.adapter.js';
export {
  buildTranscodeArgs,
  computeOutputSize,
  outputTooSmall,
  videoFilter,
  clipInput,
  loudnessMeasureArgs,
  type InputRange,
  hlsRungs,
  type FrameSize,
  type TranscodeArgsInput,
} from './transcode-args.js';
export {
  FfmpegProgressParser,
  toTranscodeProgress,
  type FfmpegProgressBlock,
  type TranscodeProgress,
} from './ffmpeg-progress.parser.js';
export { summarizeStderr, TextTail } from './ffmpeg-stderr.js';
export {
  startEarlyTranscode,
  transcode,
  type TranscodeOptions,
  type TranscodeResult,
} from './ffmpeg-transcode.adapter.js';
export {
  FfmpegMediaAdapter,
  type FfmpegMediaAdapterOptions,
  type FirstEncode,
  type ImageSize,
  type MediaAdapter,
  type MediaSource,
  type SourceEncode,
  type SourceGroupEncode,
  type SourceClip,
} from './ffmpeg-media.adapter.js';
export { buildOneDecodeArgs, type GroupOutput, type OneDecodeArgsInput } from './one-decode-args.js';
export { transcodeGroup, type GroupTranscodeOptions } from './one-decode.adapter.js';
export {
  MediaSandbox,
  defaultSandbox,
  minimalEnv,
  type MediaSandboxOptions,
  type ProcessLimits,
  type SandboxWrappers,
} from './media-sandbox.js';
export { cpuSecondsFor, encodeBudgetMs, outputFileLimitBytes, type EncodeBudget } from './encode-limits.js';
export { ChunkFrameMismatchError } from './media.errors.js';
export {
  alignedChunkSeconds,
  buildAudioArgs,
  buildChunkArgs,
  buildStitchHlsArgs,
  buildStitchMp4Args,
  chunkRenditions,
  concatList,
  isChunkable,
  planChunks,
  type ChunkRendition,
  type FrameScan,
  type MediaChunk,
  videoStartSeconds,
} from './chunk-args.js';
export { setMasterBandwidths } from './hls-master.js';
export {
  loudnessFilter,
  parseLoudnormJson,
  type LoudnessMeasurement,
  type LoudnessPlan,
  type LoudnessTarget,
} from './loudness.js';
export { placeWatermark, type WatermarkCorner, type WatermarkImage, type WatermarkOverlay } from './watermark.js';
export { sourceFilter } from './source-graph.js';
