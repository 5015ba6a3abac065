import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HLS_MASTER_FILE } from '@kiln/jobs';

/**
 * The peak bit rate (bit/s) of a media playlist's segments, as HLS defines BANDWIDTH: the largest
 * segment size over its duration. Null when the playlist lists no segment.
 */
async function peakBitrate(playlist: string): Promise<number | null> {
  const lines = (await readFile(playlist, 'utf8')).split('\n');
  let peak: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    const m = /^#EXTINF:([\d.]+)/.exec(lines[i]!);
    const segment = lines[i + 1]?.trim();
    if (!m || !segment || segment.startsWith('#')) continue;
    const seconds = Number(m[1]);
    if (!(seconds > 0)) continue;
    const { size } = await stat(path.join(path.dirname(playlist), segment));
    peak = Math.max(peak ?? 0, Math.ceil((size * 8) / seconds));
  }
  return peak;
}

/**
 * Sets each variant's BANDWIDTH in an HLS output's master playlist to the peak segment bit rate
 * of its media playlist. ffmpeg's HLS muxer takes it from the encoder's rate settings, which a
 * stream copy (a stitch of encoded chunks) does not carry: it would advertise a made-up figure.
 */
export async function setMasterBandwidths(dir: string): Promise<void> {
  const masterPath = path.join(dir, HLS_MASTER_FILE);
  const lines = (await readFile(masterPath, 'utf8')).split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('#EXT-X-STREAM-INF:')) continue;
    const uri = lines.slice(i + 1).find((l) => l.trim() !== '' && !l.startsWith('#'));
    if (!uri) continue;
    const peak = await peakBitrate(path.join(dir, uri.trim()));
    if (peak !== null) lines[i] = lines[i]!.replace(/BANDWIDTH=\d+/, `BANDWIDTH=${peak}`);
  }
  await writeFile(masterPath, lines.join('\n'));
}
