import type { PlayableKind } from './progress-view.js';

/** A source attached to a `<video>`; `destroy()` detaches it (and stops hls.js). */
export interface AttachedPlayer {
  /** `native` (the browser plays the URL itself) or `hls.js`. */
  engine: 'native' | 'hls.js';
  destroy(): void;
}

const HLS_MIME = 'application/vnd.apple.mpegurl';

/**
 * Plays `url` in `video`: MP4 and WebM as its `src`, HLS natively where the browser plays it
 * (Safari, iOS), else through hls.js, imported only then so pages that never play HLS never load it.
 * `onFatal` hears an error hls.js cannot recover from (a native player reports on the element itself).
 */
export async function attachPlayer(
  video: HTMLVideoElement,
  kind: PlayableKind,
  url: string,
  onFatal: (message: string) => void,
): Promise<AttachedPlayer> {
  if (kind === 'file' || video.canPlayType(HLS_MIME) !== '') {
    video.src = url;
    return { engine: 'native', destroy: () => detach(video) };
  }
  const { default: Hls } = await import('hls.js');
  if (!Hls.isSupported()) throw new Error('this browser cannot play HLS (no Media Source Extensions)');
  const hls = new Hls({ capLevelToPlayerSize: true });
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (data.fatal) onFatal(`${data.type}: ${data.details}`);
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return {
    engine: 'hls.js',
    destroy: () => {
      hls.destroy();
      detach(video);
    },
  };
}

function detach(video: HTMLVideoElement): void {
  video.pause();
  video.removeAttribute('src');
  video.load();
}
