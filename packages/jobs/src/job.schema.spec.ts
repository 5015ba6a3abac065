import { describe, expect, it } from 'vitest';
import { createJobSchema, eventForStatus } from './job.schema.js';
import { getPreset, PRESET_IDS } from './presets.js';

describe('createJobSchema', () => {
  const ok = { input: 'file:///srv/a.mp4', outputs: [{ preset: 'mp4-720p' }] };

  it('accepts a minimal job and optional names and metadata', () => {
    expect(createJobSchema.parse(ok)).toEqual({ ...ok, priority: 'normal' });
    expect(createJobSchema.parse({ ...ok, priority: 'high' }).priority).toBe('high');
    expect(
      createJobSchema.parse({
        ...ok,
        outputs: [{ preset: 'mp4-720p', name: 'hd' }, { preset: 'mp4-360p' }],
        metadata: { title: 'x' },
      }).outputs,
    ).toHaveLength(2);
  });

  it('names the field of every problem', () => {
    const paths = (body: unknown) => (createJobSchema.safeParse(body).error?.issues ?? []).map((i) => i.path.join('.'));
    expect(paths({ outputs: [{ preset: 'mp4-720p' }] })).toEqual(['input']);
    expect(paths({ input: 'file:///a', outputs: [{}] })).toEqual(['outputs.0.preset']);
    expect(paths({ input: 'file:///a', outputs: [{ preset: 'x' }] })).toEqual(['outputs.0.preset']);
    expect(paths({ input: 'file:///a', outputs: [] })).toEqual(['outputs']);
    expect(paths({ input: 'file:///a', outputs: [{ preset: 'mp4-720p' }, { preset: 'mp4-720p' }] })).toEqual([
      'outputs.1.name',
    ]);
    expect(paths({ ...ok, extra: 1 })).toEqual(['']);
    expect(paths({ ...ok, priority: 'urgent' })).toEqual(['priority']);
    expect(paths({ ...ok, metadata: { big: 'x'.repeat(600) } })).toEqual(['metadata.big']);
  });

  it('explains an unknown preset with the list of presets', () => {
    const issue = createJobSchema.safeParse({ input: 'file:///a', outputs: [{ preset: 'mp4-9000p' }] }).error!
      .issues[0]!;
    expect(issue.message).toContain('mp4-720p');
  });
});

describe('presets', () => {
  it('offers the H.264 ladder with even heights', () => {
    expect(PRESET_IDS).toEqual(expect.arrayContaining(['mp4-1080p', 'mp4-720p', 'mp4-480p', 'mp4-360p']));
    for (const id of PRESET_IDS) {
      const p = getPreset(id)!;
      if (p.kind === 'mp4' || p.kind === 'webm') expect(p.video.height % 2).toBe(0);
    }
    expect(PRESET_IDS).toEqual(expect.arrayContaining(['webm-720p', 'hls', 'thumbnails', 'audio-aac']));
  });

  it('maps statuses to channel events', () => {
    expect(eventForStatus('completed')).toBe('job.completed');
    expect(eventForStatus('encoding')).toBe('job.progress');
    expect(eventForStatus('cancelled')).toBe('job.cancelled');
  });
});

describe('createJobSchema clip', () => {
  const ok = { input: 'file:///srv/a.mp4', outputs: [{ preset: 'mp4-720p' }] };
  const paths = (body: unknown) =>
    (createJobSchema.safeParse(body).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

  it('takes a clip of the input and keeps it on the request', () => {
    expect(createJobSchema.parse({ ...ok, clip: { startSeconds: 2.5, endSeconds: 10 } }).clip).toEqual({
      startSeconds: 2.5,
      endSeconds: 10,
    });
  });

  it('names the field: an end not after the start, a negative start, a missing end, unknown keys', () => {
    expect(paths({ ...ok, clip: { startSeconds: 5, endSeconds: 5 } })).toEqual([
      'clip.endSeconds: must be after startSeconds',
    ]);
    expect(paths({ ...ok, clip: { startSeconds: -1, endSeconds: 5 } })).toEqual([
      'clip.startSeconds: must be 0 or more',
    ]);
    expect(paths({ ...ok, clip: { startSeconds: 1 } })).toEqual(['clip.endSeconds: must be a number of seconds']);
    expect(paths({ ...ok, clip: { startSeconds: 1, endSeconds: 2, frames: 3 } })[0]).toMatch(/^clip: /);
  });
});
