import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HLS_MASTER_FILE } from '@kiln/jobs';

/**
 * The peak bit rate (bit/s) of a media playlist's segments, as HLS defines BANDWIDTH: the largest
 * segment size over its duration. Null when the playlist lists no segment.
 */
async function peakBitrate(playlist: string): Promise<number | null> {
  let peak: number | null = null;
  let seconds: number | null = null;
  for (const raw of (await readFile(playlist, 'utf8')).split('\n')) {
    const line = raw.trim();
    const m = /^#EXTINF:([\d.]+)/.exec(line);
    if (m) seconds = Number(m[1]);
    // The segment is the next line that is not a tag: the DASH muxer puts EXT-X-PROGRAM-DATE-TIME between.
    if (m || line === '' || line.startsWith('#') || seconds === null) continue;
    if (seconds > 0) {
      const { size } = await stat(path.join(path.dirname(playlist), line));
      peak = Math.max(peak ?? 0, Math.ceil((size * 8) / seconds));
    }
    seconds = null;
  }
  return peak;
}

/** The peak bit rate of the largest audio rendition of each `EXT-X-MEDIA` audio group of a master playlist. */
async function audioGroupPeaks(dir: string, lines: readonly string[]): Promise<Map<string, number>> {
  const peaks = new Map<string, number>();
  for (const line of lines) {
    if (!line.startsWith('#EXT-X-MEDIA:') || !line.includes('TYPE=AUDIO')) continue;
    const group = /GROUP-ID="([^"]*)"/.exec(line)?.[1];
    const uri = /URI="([^"]*)"/.exec(line)?.[1];
    if (group === undefined || uri === undefined) continue;
    const peak = await peakBitrate(path.join(dir, uri));
    if (peak !== null) peaks.set(group, Math.max(peaks.get(group) ?? 0, peak));
  }
  return peaks;
}

/**
 * Sets each variant's BANDWIDTH in an HLS output's master playlist to the peak segment bit rate
 * of its media playlist, plus that of the largest rendition of its audio group when its audio is a
 * playlist of its own (CMAF). ffmpeg's HLS muxer takes it from the encoder's rate settings, which a
 * stream copy (a stitch of encoded chunks) does not carry: it would advertise a made-up figure;
 * its DASH muxer takes the video's from the first segment alone and adds the audio's nominal rate.
 */
export async function setMasterBandwidths(dir: string): Promise<void> {
  const masterPath = path.join(dir, HLS_MASTER_FILE);
  const lines = (await readFile(masterPath, 'utf8')).split('\n');
  const audio = await audioGroupPeaks(dir, lines);
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('#EXT-X-STREAM-INF:')) continue;
    const uri = lines.slice(i + 1).find((l) => l.trim() !== '' && !l.startsWith('#'));
    if (!uri) continue;
    const peak = await peakBitrate(path.join(dir, uri.trim()));
    const group = /AUDIO="([^"]*)"/.exec(lines[i]!)?.[1];
    const withAudio = peak === null ? null : peak + (group === undefined ? 0 : (audio.get(group) ?? 0));
    if (withAudio !== null) lines[i] = lines[i]!.replace(/BANDWIDTH=\d+/, `BANDWIDTH=${withAudio}`);
  }
  await writeFile(masterPath, lines.join('\n'));
}
