import type { Preset } from '@kiln/jobs';
import { splitGraph } from './source-graph.js';
import { inputArgs, outputArgs, videoBranches, type TranscodeArgsInput } from './transcode-args.js';

/** One output of a one-decode command: its preset and where it is written (a directory for HLS and thumbnails). */
export interface GroupOutput {
  preset: Preset;
  output: string;
}

/** What {@link buildOneDecodeArgs} needs: a transcode request with several outputs. */
export interface OneDecodeArgsInput extends Omit<TranscodeArgsInput, 'output' | 'preset' | 'videoFilterScript'> {
  outputs: readonly GroupOutput[];
}

/**
 * ffmpeg arguments that write every output from one decode: the input's video is decoded once and
 * `split` (deinterlaced or tone-mapped once, when the input needs it) into each output's filter chain (an HLS output takes one per rung), and each output then
 * has exactly the maps, encoder settings and muxer of its own command ({@link buildTranscodeArgs}),
 * so its file is what that command writes. Audio is mapped per output, as in its own command.
 */
export function buildOneDecodeArgs(req: OneDecodeArgsInput): string[] {
  const branches = req.outputs.map((o) => videoBranches({ preset: o.preset, media: req.media }));
  const all = branches.flat();
  if (all.length === 0) throw new TypeError('a one-decode command needs an output with video');
  let next = 0;
  const pads = branches.map((b) => b.map(() => `[o${next++}]`));
  return [
    ...inputArgs(req),
    '-filter_complex',
    splitGraph(all, pads.flat(), 'd', req),
    ...req.outputs.flatMap((o, i) => outputArgs({ ...req, preset: o.preset, output: o.output }, pads[i])),
  ];
}
