import { getPreset } from '@kiln/jobs';
import { describe, expect, it } from 'vitest';
import type { MediaInfo } from './media-info.js';
import { buildTranscodeArgs } from './transcode-args.js';

function media(width: number, height: number, channels: number | null): MediaInfo {
  return {
    durationSeconds: 10,
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    sizeBytes: 1000,
    bitRate: 1000,
    video: { codec: 'h264', width, height, displayWidth: width, displayHeight: height, fps: 25, rotation: 0 },
    audio: channels === null ? null : { codec: 'aac', channels, sampleRate: 48000 },
    transcodable: true,
  };
}

const cmafArgs = (m: MediaInfo, threads?: number) =>
  buildTranscodeArgs({ input: '/in/a.mp4', output: '/out/cmaf', preset: getPreset('cmaf')!, media: m, threads });

/** The value following `flag` in an argument list. */
function arg(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

describe('buildTranscodeArgs for cmaf', () => {
  it('writes the MPD last, with the thread count and every output option before it (ffmpeg ignores trailing ones)', () => {
    const args = cmafArgs(media(1920, 1080, 2), 2);
    expect(args.at(-1)).toBe('/out/cmaf/manifest.mpd');
    expect(args.indexOf('-threads')).toBeGreaterThan(args.indexOf('-i'));
    expect(arg(args, '-threads')).toBe('2');
    expect(arg(args, '-f')).toBe('dash');
    expect(arg(args, '-seg_duration')).toBe('4');
    expect(arg(args, '-force_key_frames')).toBe('expr:gte(t,n_forced*4)');
    expect(arg(args, '-hls_playlist')).toBe('1');
    expect(arg(args, '-hls_master_name')).toBe('master.m3u8');
    expect(arg(args, '-dash_segment_type')).toBe('mp4');
  });

  it('maps three video rungs then three audio ones into two adaptation sets, with the hls rates', () => {
    const args = cmafArgs(media(1920, 1080, 2));
    expect(arg(args, '-filter_complex')).toBe(
      '[0:v]split=3[s0][s1][s2];' +
        '[s0]scale=1280:720,setdar=1280/720:max=100000[v0];' +
        '[s1]scale=854:480,setdar=1280/720:max=100000[v1];' +
        '[s2]scale=640:360,setdar=1280/720:max=100000[v2]',
    );
    const maps = args.flatMap((a, i) => (a === '-map' ? [args[i + 1]] : []));
    expect(maps).toEqual(['[v0]', '[v1]', '[v2]', '0:a:0', '0:a:0', '0:a:0']);
    expect(arg(args, '-adaptation_sets')).toBe('id=0,streams=v id=1,streams=a');
    expect([arg(args, '-crf:v:0'), arg(args, '-maxrate:v:1'), arg(args, '-bufsize:v:2')]).toEqual([
      '23',
      '1500k',
      '1800k',
    ]);
    expect([arg(args, '-b:a:0'), arg(args, '-b:a:1'), arg(args, '-b:a:2')]).toEqual(['128k', '96k', '64k']);
    expect(args).not.toContain('-ac');
  });

  it('downmixes more than two channels to stereo, and leaves audio out (one adaptation set) when there is none', () => {
    expect(arg(cmafArgs(media(1280, 720, 6)), '-ac')).toBe('2');
    const silent = cmafArgs(media(640, 360, null));
    expect(silent.filter((a) => a === '-map')).toHaveLength(1);
    expect(silent).not.toContain('-c:a');
    expect(arg(silent, '-adaptation_sets')).toBe('id=0,streams=v');
  });
});
