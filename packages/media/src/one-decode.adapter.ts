import { availableParallelism } from 'node:os';
import path from 'node:path';
import { cpuSecondsFor, outputFileLimitBytes } from './encode-limits.js';
import {
  outputSize,
  prepareOutput,
  runFfmpeg,
  type TranscodeOptions,
  type TranscodeResult,
} from './ffmpeg-transcode.adapter.js';
import { buildOneDecodeArgs, type GroupOutput } from './one-decode-args.js';

/** A one-decode request: a transcode request with several outputs instead of one. */
export interface GroupTranscodeOptions extends Omit<TranscodeOptions, 'output' | 'preset' | 'videoFilterScript'> {
  outputs: readonly GroupOutput[];
}

/**
 * Encodes `input` to every output in `outputs` with one ffmpeg that decodes it once (see {@link
 * buildOneDecodeArgs}), under the watch {@link transcode} keeps: progress (one stream for all
 * outputs, which advance together), stall watchdog, budget (`budgetMs` is the whole command's)
 * and cancel. Its kernel limits are those of its largest output, with a memory cap as large as
 * that of as many separate encodes. Resolves to one result per output, in order; rejects as
 * {@link transcode} does, for every output at once.
 */
export async function transcodeGroup(opts: GroupTranscodeOptions): Promise<TranscodeResult[]> {
  const { outputs, media } = opts;
  const first = outputs[0];
  if (!first) throw new TypeError('a one-decode encode needs at least one output');
  for (const o of outputs) await prepareOutput(o.preset, o.output, media);
  const args = buildOneDecodeArgs(opts);
  const limits = {
    fileSizeBytes: Math.max(...outputs.map((o) => outputFileLimitBytes(o.preset, media.durationSeconds))),
    cpuSeconds: opts.budgetMs !== undefined ? cpuSecondsFor(opts.budgetMs, availableParallelism()) : undefined,
    memoryShares: outputs.length,
  };
  // Errors name the outputs' folder, never a server path.
  const result = await runFfmpeg(args, { ...opts, preset: first.preset, output: commonFolder(outputs) }, limits);
  return outputs.map((o) => {
    const size = outputSize({ preset: o.preset, media });
    return { ...result, width: size?.width ?? null, height: size?.height ?? null };
  });
}

function commonFolder(outputs: readonly GroupOutput[]): string {
  const dirs = outputs.map((o) => path.dirname(o.output));
  return dirs.every((d) => d === dirs[0]) ? dirs[0]! : '';
}
