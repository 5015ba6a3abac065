import { describe, expect, it } from 'vitest';
import { DEFAULT_POOL, getPreset, jobPool, PRESET_IDS, PRESET_POOLS } from './presets.js';

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

  it('keeps every other preset in the default pool cpu', () => {
    const others = PRESET_IDS.filter((id) => id !== 'mp4-av1-720p').map((id) => [id, getPreset(id)!.pool]);
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
});
