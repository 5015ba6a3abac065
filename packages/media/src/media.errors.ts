import { KilnError } from '@kiln/errors';

/** ffprobe could not read the input: it is missing, empty, or not media ffprobe understands. */
export class MediaProbeError extends KilnError {
  readonly code: string = 'media_probe';

  constructor(
    message: string,
    /** The file that was probed. */
    readonly path: string,
  ) {
    super(message);
  }
}

/** ffmpeg or ffprobe could not be started at all (wrong path, not executable): not the input's fault. */
export class MediaToolError extends KilnError {
  readonly code = 'media_tool';
}

/**
 * ffmpeg failed. `stderrTail` holds the last few KB of its diagnostics; `exitCode` is null when it
 * was ended by a signal or never ran.
 */
export class TranscodeError extends KilnError {
  readonly code: string = 'transcode';

  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
  ) {
    super(message);
  }
}

/** The encode was cancelled through its AbortSignal; ffmpeg has exited and the output is partial. */
export class TranscodeCancelledError extends TranscodeError {
  override readonly code = 'transcode_cancelled';
}

/**
 * ffmpeg reported no progress for the stall timeout and was killed. Transient by nature (a hung
 * mount, a starved machine): retry it.
 */
export class TranscodeStalledError extends TranscodeError {
  override readonly code = 'transcode_stalled';
  /** Always true: worth another attempt. */
  readonly retryable = true;
}

/**
 * The encode ran past its wall-clock budget (a multiple of the output's duration plus a floor) and
 * ffmpeg was killed. Not transient: the same input would take as long again, so never retried.
 */
export class TranscodeBudgetExceededError extends TranscodeError {
  override readonly code = 'encode_budget_exceeded';
  /** Always false: another attempt would overrun the same way. */
  readonly retryable = false;
}

/**
 * The decoder refused the input's frames: they have more pixels than the configured `maxPixels`
 * (ffmpeg's `-max_pixels`), so the picture was never allocated.
 */
export class MediaFrameTooLargeError extends MediaProbeError {
  override readonly code = 'input_resolution_too_large';

  constructor(
    /** The frame size the decoder saw. */
    readonly width: number,
    readonly height: number,
    readonly maxPixels: number,
    path: string,
  ) {
    super(
      `frames of ${width}x${height} (${width * height} pixels) are larger than the limit of ${maxPixels} pixels`,
      path,
    );
  }
}

/**
 * A chunk's encode did not hold exactly the frames it was cut to (a decoder dropped or added
 * some): stitching it would shift every frame after it, so the job's chunked outputs are encoded
 * whole instead.
 */
export class ChunkFrameMismatchError extends KilnError {
  readonly code = 'chunk_frame_mismatch';
}
