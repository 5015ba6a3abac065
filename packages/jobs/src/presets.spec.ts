import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POOL,
  getPreset,
  isDirectoryPreset,
  isStreamPreset,
  jobPool,
  needsAudio,
  needsVideo,
  PRESET_IDS,
  PRESET_POOLS,
} from './presets.js';

describe('presets and their pools', () => {
  it('mp4-av1-720p is an AV1 MP4 up to 720p in pool av1', () => {
    expect(getPreset('mp4-av1-720p')).toMatchObject({
      kind: 'mp4',
      pool: 'av1',
      extension: 'mp4',
      contentType: 'video/mp4',
      video: { codec: 'av1', height: 720 },
      audio: { codec: 'aac' },
    });
    expect(PRESET_IDS).toContain('mp4-av1-720p');
  });

  it('puts every AV1 preset, MP4 and WebM, in pool av1', () => {
    const av1 = ['mp4-av1-1080p', 'mp4-av1-720p', 'webm-av1-1080p', 'webm-av1-720p'];
    expect(PRESET_IDS.filter((id) => getPreset(id)!.pool === 'av1')).toEqual(av1);
    expect(getPreset('mp4-av1-1080p')).toMatchObject({ kind: 'mp4', video: { codec: 'av1', height: 1080 } });
    for (const id of ['webm-av1-1080p', 'webm-av1-720p'])
      expect(getPreset(id)).toMatchObject({
        kind: 'webm',
        extension: 'webm',
        contentType: 'video/webm',
        video: { codec: 'av1' },
        audio: { codec: 'opus' },
      });
  });

  it('has HEVC MP4 presets at 1080p and 720p, in the default pool (libx265 is in every usual ffmpeg build)', () => {
    for (const [id, height] of [
      ['mp4-hevc-1080p', 1080],
      ['mp4-hevc-720p', 720],
    ] as const)
      expect(getPreset(id)).toMatchObject({
        kind: 'mp4',
        pool: DEFAULT_POOL,
        contentType: 'video/mp4',
        video: { codec: 'hevc', height },
        audio: { codec: 'aac' },
      });
  });

  it('has cmaf: the ladder, segment length and audio of hls, as a directory output that is a stream, entered by its master playlist', () => {
    const cmaf = getPreset('cmaf')!;
    const hls = getPreset('hls')!;
    expect(cmaf).toMatchObject({ kind: 'cmaf', pool: DEFAULT_POOL, extension: 'm3u8', segmentSeconds: 4 });
    if (cmaf.kind !== 'cmaf' || hls.kind !== 'hls') throw new Error('unexpected preset kinds');
    expect(cmaf.renditions).toEqual(hls.renditions);
    expect(cmaf.renditions.map((r) => r.height)).toEqual([720, 480, 360]);
    expect(isDirectoryPreset(cmaf) && isStreamPreset(cmaf)).toBe(true);
    expect(isStreamPreset(getPreset('thumbnails')!)).toBe(false);
    expect(PRESET_IDS.indexOf('cmaf')).toBe(PRESET_IDS.indexOf('hls') + 1);
  });

  it('keeps every other preset in the default pool cpu', () => {
    const isAv1 = (id: string) => {
      const p = getPreset(id)!;
      return (p.kind === 'mp4' || p.kind === 'webm') && p.video.codec === 'av1';
    };
    const others = PRESET_IDS.filter((id) => !isAv1(id)).map((id) => [id, getPreset(id)!.pool]);
    expect(others).toEqual(others.map(([id]) => [id, DEFAULT_POOL]));
    expect(DEFAULT_POOL).toBe('cpu');
  });

  it('lists the pools cpu and av1, each once', () => {
    expect(PRESET_POOLS).toEqual(['cpu', 'av1']);
  });

  it('puts a job in pool av1 as soon as one output needs it, and in cpu otherwise', () => {
    expect(jobPool(['mp4-720p', 'mp4-av1-720p'])).toBe('av1');
    expect(jobPool(['mp4-av1-720p'])).toBe('av1');
    expect(jobPool(['mp4-720p', 'hls', 'thumbnails'])).toBe('cpu');
    expect(jobPool([])).toBe('cpu');
  });

  it('has a storyboard (a directory entered by its VTT) and a preview (one WebP), both from video alone, in pool cpu', () => {
    const storyboard = getPreset('storyboard')!;
    const preview = getPreset('preview')!;
    expect(storyboard).toMatchObject({
      kind: 'storyboard',
      pool: DEFAULT_POOL,
      extension: 'vtt',
      contentType: 'text/vtt',
    });
    expect(preview).toMatchObject({
      kind: 'preview',
      pool: DEFAULT_POOL,
      extension: 'webp',
      contentType: 'image/webp',
    });
    expect([isDirectoryPreset(storyboard), isDirectoryPreset(preview)]).toEqual([true, false]);
    for (const p of [storyboard, preview]) expect([needsVideo(p), needsAudio(p)]).toEqual([true, false]);
  });
});
