import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HLS_MASTER_FILE } from '@kiln/jobs';
import { setMasterBandwidths } from './hls-master.js';

const VOD = '#EXT-X-PLAYLIST-TYPE:VOD';
const PROGRAM_DATE_TIME = '#EXT-X-PROGRAM-DATE-TIME:';

/**
 * Finishes the HLS side of a CMAF output as ffmpeg's DASH muxer leaves it: each media playlist is
 * marked `EXT-X-PLAYLIST-TYPE:VOD` (the muxer has no option for it) and loses its
 * `EXT-X-PROGRAM-DATE-TIME` tags (the wall clock of the encode, not a time in the video, which
 * would make every run of one input write different bytes); the master gets peak BANDWIDTHs
 * ({@link setMasterBandwidths}).
 */
export async function finishCmafPlaylists(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.m3u8') || name === HLS_MASTER_FILE) continue;
    const file = path.join(dir, name);
    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => !l.startsWith(PROGRAM_DATE_TIME));
    // In the header, after EXT-X-VERSION (or EXTM3U): before any segment, as RFC 8216 requires.
    const version = lines.findIndex((l) => l.startsWith('#EXT-X-VERSION:'));
    if (!lines.includes(VOD)) lines.splice(version < 0 ? 1 : version + 1, 0, VOD);
    await writeFile(file, lines.join('\n'));
  }
  await setMasterBandwidths(dir);
}
