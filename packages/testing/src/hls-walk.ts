/** One URL an HLS walk fetched: a playlist or a resource one names (segment, init section, key, image). */
export interface HlsWalkEntry {
  /** The absolute URL, resolved against the final URL of the playlist that named it. */
  url: string;
  /** The playlist that named it; null for the entry playlist. */
  from: string | null;
  status: number;
  contentType: string | null;
  /** Bytes of the body as read (the whole body for a 200). */
  bytes: number;
  playlist: boolean;
}

/** How {@link walkHlsPlaylists} fetches one URL; `fetch` with the right headers, usually. */
export type HlsFetch = (url: string) => Promise<Response>;

const URI_ATTRIBUTE = /\bURI="([^"]*)"/g;

/**
 * Every URI an HLS playlist names: each non-tag line (variant streams, segments) and each
 * `URI="..."` attribute of a tag (`EXT-X-MEDIA`, `EXT-X-MAP`, `EXT-X-KEY`, `EXT-X-I-FRAME-STREAM-INF`),
 * in order, unresolved. Tags, comments and blank lines are skipped (RFC 8216 §4.1).
 */
export function playlistUris(text: string): string[] {
  const uris: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      for (const m of line.matchAll(URI_ATTRIBUTE)) uris.push(m[1]!);
      continue;
    }
    uris.push(line);
  }
  return uris;
}

const isPlaylist = (url: string, contentType: string | null) =>
  new URL(url).pathname.toLowerCase().endsWith('.m3u8') || /mpegurl/i.test(contentType ?? '');

/**
 * Fetches an HLS entry playlist and, breadth first, every URI of every playlist it reaches (master
 * → media playlists → segments), each once, resolving relative URIs against the final URL of the
 * playlist that named them (as players do, redirects included). Fetch failures are not thrown:
 * every URL is listed with its status, so a test can assert that all of them are 200. Bounded by
 * `maxUrls` so a playlist that names itself in a loop cannot keep it going.
 */
export async function walkHlsPlaylists(entryUrl: string, get: HlsFetch, maxUrls = 2000): Promise<HlsWalkEntry[]> {
  const seen = new Set<string>([entryUrl]);
  const todo: { url: string; from: string | null }[] = [{ url: entryUrl, from: null }];
  const out: HlsWalkEntry[] = [];
  while (todo.length > 0 && out.length < maxUrls) {
    const { url, from } = todo.shift()!;
    const res = await get(url);
    const contentType = res.headers.get('content-type');
    const body = Buffer.from(await res.arrayBuffer());
    const playlist = res.status === 200 && isPlaylist(res.url || url, contentType);
    out.push({ url, from, status: res.status, contentType, bytes: body.length, playlist });
    if (!playlist) continue;
    const base = res.url || url;
    for (const uri of playlistUris(body.toString('utf8'))) {
      const next = new URL(uri, base).href;
      if (seen.has(next)) continue;
      seen.add(next);
      todo.push({ url: next, from: url });
    }
  }
  return out;
}
