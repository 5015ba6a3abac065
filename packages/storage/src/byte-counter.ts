import { Transform, type TransformCallback } from 'node:stream';

/** What a {@link ByteCounter} does when more than `maxBytes` pass: fail the stream with `tooLarge()`. */
export interface ByteLimit {
  maxBytes: number;
  tooLarge: () => Error;
}

/**
 * Passes bytes through unchanged while counting them, and fails the stream (with the limit's own
 * error) as soon as more than the limit have passed, so an oversized body is never written whole.
 * The one byte-counting stream: uploads, downloads and checksums all count with it.
 */
export class ByteCounter extends Transform {
  bytes = 0;

  constructor(private readonly limit?: ByteLimit) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.limit && this.bytes > this.limit.maxBytes) {
      done(this.limit.tooLarge());
      return;
    }
    this.observe(chunk);
    done(null, chunk);
  }

  /** Sees every chunk that passes (within the limit); subclasses hash them. */
  protected observe(_chunk: Buffer): void {}
}
