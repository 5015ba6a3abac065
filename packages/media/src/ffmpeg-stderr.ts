/** Keeps the last `limit` characters of a stream of text (ffmpeg's stderr can be endless). */
export class TextTail {
  private text = '';

  constructor(private readonly limit = 4096) {}

  /** Appends a chunk, dropping the oldest text beyond the limit. */
  push(chunk: string): void {
    this.text += chunk;
    // Trim lazily so a chatty stream is not re-sliced on every chunk.
    if (this.text.length > this.limit * 2) this.text = this.text.slice(-this.limit);
  }

  /** The kept text (at most `limit` characters). */
  toString(): string {
    return this.text.slice(-this.limit);
  }
}

/**
 * Condenses ffmpeg/ffprobe diagnostics into one readable line: drops the `[demuxer @ 0x…]` context
 * and the file names they prefix messages with, shows any other mention of a file as `<label>`
 * (server paths do not belong in customer-facing errors), removes repeats, and keeps the last few.
 */
export function summarizeStderr(stderr: string, files: Readonly<Record<string, string>> = {}, maxMessages = 3): string {
  const named = Object.entries(files).filter(([, path]) => path !== '');
  const messages: string[] = [];
  for (const raw of stderr.split(/\r?\n/)) {
    let line = raw.replace(/^(\[[^\]]* @ 0x[0-9a-f]+\]\s*)+/i, '').trim();
    for (const [label, path] of named) {
      for (const prefix of [`file:${path}: `, `${path}: `])
        if (line.startsWith(prefix)) line = line.slice(prefix.length);
      line = line.split(`file:${path}`).join(`<${label}>`).split(path).join(`<${label}>`);
    }
    if (line && !messages.includes(line)) messages.push(line);
  }
  return messages.slice(-maxMessages).join('; ');
}
