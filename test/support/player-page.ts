import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback HTTP server for a player page: its `origin` is what the API must allow for CORS. */
export interface PlayerPageServer {
  /** `http://127.0.0.1:<port>`; the page is at `${origin}/`. */
  origin: string;
  stop(): Promise<void>;
}

/**
 * Serves a blank page that loads a player library (`scripts`: URL path → dist file from
 * node_modules) from its own origin on loopback. A real server rather than a Playwright-fulfilled
 * page: Chromium's Local Network Access treats a page that came from nowhere as public and refuses
 * its requests to the loopback API.
 */
export async function startPlayerPageServer(
  title: string,
  scripts: Readonly<Record<string, string>>,
): Promise<PlayerPageServer> {
  const bodies = new Map(
    await Promise.all(Object.entries(scripts).map(async ([url, file]) => [url, await readFile(file)] as const)),
  );
  const tags = [...bodies.keys()].map((url) => `<script src="${url}"></script>`).join('');
  const html = `<!doctype html><html><head><title>${title}</title>${tags}</head><body></body></html>`;
  const server = createServer((req, res) => {
    if (req.url === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    const script = bodies.get(req.url ?? '');
    if (script) return void res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A cue of a text track of the page's `<video>` (times in seconds of the video). */
export interface TextCue {
  /** The track's language, as the player set it. */
  language: string;
  start: number;
  end: number;
  text: string;
}

/**
 * Run in a player page (`page.evaluate(videoTextCues)`): the cues the player has put on the
 * `<video>` (`window.__video`) so far, of every text track that is not disabled.
 */
export function videoTextCues(): TextCue[] {
  const video = (window as unknown as { __video: HTMLVideoElement }).__video;
  const cues: TextCue[] = [];
  for (const track of Array.from(video.textTracks))
    for (const cue of Array.from(track.cues ?? []))
      cues.push({ language: track.language, start: cue.startTime, end: cue.endTime, text: (cue as VTTCue).text });
  return cues;
}
