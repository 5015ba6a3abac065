import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ByteCounter } from './byte-counter.js';

/**
 * Passes bytes through unchanged while hashing them with SHA-256 and counting them, so a file is
 * checksummed in the same read that stores it.
 */
export class ChecksumStream extends ByteCounter {
  private readonly hash: Hash = createHash('sha256');

  protected override observe(chunk: Buffer): void {
    this.hash.update(chunk);
  }

  /** `sha256:<hex>` of every byte that passed; call once, after the stream ended. */
  checksum(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** `sha256:<hex>` and size of a local file, read once as a stream. */
export async function checksumFile(filePath: string): Promise<{ sizeBytes: number; checksum: string }> {
  const sum = new ChecksumStream();
  await pipeline(createReadStream(filePath), sum, async (source: AsyncIterable<Buffer>) => {
    for await (const _chunk of source);
  });
  return { sizeBytes: sum.bytes, checksum: sum.checksum() };
}
