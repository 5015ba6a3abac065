import { getPreset, type JobOutput, type Preset } from '@kiln/jobs';
import type { MediaInfo } from '@kiln/media';
import { describe, expect, it } from 'vitest';
import { InputError } from './input.errors.js';
import { checkStreams, completedOutput, oneDecodeGroups, overall } from './job-outputs.js';

function media(width: number, height: number, audio = true): MediaInfo {
  return {
    durationSeconds: 2,
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    sizeBytes: 1000,
    bitRate: 1000,
    video: { codec: 'h264', width, height, displayWidth: width, displayHeight: height, fps: 25, rotation: 0 },
    audio: audio ? { codec: 'aac', channels: 2, sampleRate: 48000 } : null,
    transcodable: true,
  };
}

const presets = (...ids: string[]): Preset[] => ids.map((id) => getPreset(id)!);

describe('checkStreams', () => {
  it('refuses a picture too small for AV1 as input_resolution_too_small, naming the size, preset and minimum', () => {
    const check = () => checkStreams(media(200, 30), presets('mp4-360p', 'mp4-av1-720p'));
    expect(check).toThrow(InputError);
    expect(check).toThrow(
      expect.objectContaining({
        code: 'input_resolution_too_small',
        message: 'input picture is 200x30; mp4-av1-720p needs at least 64 pixels on each side',
      }),
    );
  });

  it('lets the same picture through for H.264, and a 64x64 one for AV1', () => {
    expect(() => checkStreams(media(200, 30), presets('mp4-360p', 'thumbnails'))).not.toThrow();
    expect(() => checkStreams(media(64, 64, false), presets('mp4-av1-720p'))).not.toThrow();
  });
});

describe('oneDecodeGroups', () => {
  const planned = (...ids: string[]) => presets(...ids).map((preset, index) => ({ index, preset }));
  const ids = (groups: { preset: Preset }[][]) => groups.map((g) => g.map((p) => p.preset.id));

  it('puts every output in one group when two or more need the video, audio-only ones included', () => {
    expect(ids(oneDecodeGroups(planned('mp4-1080p', 'mp4-720p', 'audio-aac', 'thumbnails')))).toEqual([
      ['mp4-1080p', 'mp4-720p', 'audio-aac', 'thumbnails'],
    ]);
    expect(ids(oneDecodeGroups(planned('hls', 'thumbnails')))).toEqual([['hls', 'thumbnails']]);
  });

  it('leaves each output alone when at most one needs the video', () => {
    expect(ids(oneDecodeGroups(planned('mp4-720p', 'audio-aac')))).toEqual([['mp4-720p'], ['audio-aac']]);
    expect(ids(oneDecodeGroups(planned('hls')))).toEqual([['hls']]);
    expect(oneDecodeGroups([])).toEqual([]);
  });
});

describe('overall', () => {
  const p = { percent: 50, fps: null, speed: null, etaSeconds: null };

  it('maps one output, or a group advancing together, onto the job', () => {
    expect(overall(p, 1, 2).percent).toBe(75);
    expect(overall(p, 0, 4, 4).percent).toBe(50);
    expect(overall(p, 1, 4, 3).percent).toBe(62.5);
  });
});

describe('completedOutput', () => {
  const pending = (preset: string): JobOutput => ({
    name: preset,
    preset,
    status: 'encoding',
    contentType: getPreset(preset)!.contentType,
    sizeBytes: null,
    durationSeconds: null,
    width: null,
    height: null,
    downloadPath: null,
  });
  const result = { durationSeconds: 10, width: 1280, height: 720, elapsedSeconds: 4 };
  const stored = { sizeBytes: 1_250_000, checksum: null, files: [] };

  it('gives the streams (hls, cmaf) a duration and a bit rate, and thumbnails neither', () => {
    for (const id of ['hls', 'cmaf'])
      expect(completedOutput(pending(id), getPreset(id)!, result, stored)).toMatchObject({
        status: 'completed',
        durationSeconds: 10,
        bitrateKbps: 1000,
        width: 1280,
        height: 720,
      });
    expect(completedOutput(pending('thumbnails'), getPreset('thumbnails')!, result, stored)).toMatchObject({
      durationSeconds: null,
      bitrateKbps: null,
    });
  });
});

describe('oneDecodeGroups with an output that writes its own graph', () => {
  it('groups the others first and leaves CMAF alone after them', () => {
    const planned = presets('mp4-720p', 'cmaf', 'mp4-360p').map((preset, index) => ({ index, preset }));
    expect(oneDecodeGroups(planned).map((g) => g.map((p) => p.preset.id))).toEqual([
      ['mp4-720p', 'mp4-360p'],
      ['cmaf'],
    ]);
  });
});
