import type { OutputFile } from '@kiln/client';
import { el } from './dom.js';
import { thumbnailUrls, type OutputMedia } from './job-detail.format.js';

/** A player (or image strip) for one completed output; `destroy` stops its downloads. */
export interface OutputPlayer {
  el: HTMLElement;
  destroy(): void;
}

/**
 * The player of a completed output, playing from its signed URL (no headers, so a plain element
 * can load it): `<video>` for MP4/WebM, hls.js for HLS (the browser's own HLS where MSE is
 * missing, as on iOS), `<audio>`, or the thumbnails as images. hls.js is loaded only when an HLS
 * output is shown, so the page's own bundle stays small.
 */
export function createOutputPlayer(media: OutputMedia, url: string, files?: readonly OutputFile[]): OutputPlayer {
  if (media === 'images') {
    const images = thumbnailUrls(url, files).map((src, i) =>
      el('img', { src, alt: `thumbnail ${i + 1}`, loading: 'lazy', 'data-testid': 'output-thumbnail' }),
    );
    return { el: el('div', { class: 'thumbnails' }, ...images), destroy: () => undefined };
  }
  if (media === 'audio') {
    const audio = el('audio', { controls: '', preload: 'metadata', src: url, 'data-testid': 'output-audio' });
    return { el: audio, destroy: () => stopMedia(audio) };
  }
  if (media === 'video') {
    const video = el('video', {
      controls: '',
      preload: 'metadata',
      playsinline: '',
      src: url,
      'data-testid': 'output-video',
      'data-player': 'native',
    });
    return { el: video, destroy: () => stopMedia(video) };
  }
  if (media === 'hls') return hlsPlayer(url);
  return { el: el('span', { class: 'muted' }, 'no preview for this output'), destroy: () => undefined };
}

function hlsPlayer(url: string): OutputPlayer {
  const video = el('video', { controls: '', preload: 'metadata', playsinline: '', 'data-testid': 'output-video' });
  let destroyed = false;
  let hls: { destroy(): void } | undefined;
  void import('hls.js').then(({ default: Hls }) => {
    if (destroyed) return;
    if (Hls.isSupported()) {
      // No worker: the page's CSP allows scripts from its own origin only, not a blob: worker.
      const player = new Hls({ enableWorker: false });
      player.loadSource(url);
      player.attachMedia(video);
      hls = player;
      video.dataset['player'] = 'hls.js';
    } else {
      video.src = url;
      video.dataset['player'] = 'native';
    }
  });
  return {
    el: video,
    destroy: () => {
      destroyed = true;
      hls?.destroy();
      stopMedia(video);
    },
  };
}

/** Stops a media element and drops its source, so it downloads nothing more once removed. */
function stopMedia(media: HTMLMediaElement): void {
  media.pause();
  media.removeAttribute('src');
  media.load();
}
