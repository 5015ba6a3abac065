import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FfmpegProgressParser, toTranscodeProgress } from './ffmpeg-progress.parser.js';

const BLOCKS = [
  'frame=0\nfps=0.00\nstream_0_0_q=0.0\nbitrate=N/A\ntotal_size=48\nout_time_us=N/A\nout_time_ms=N/A\nout_time=N/A\ndup_frames=0\ndrop_frames=0\nspeed=N/A\nprogress=continue\n',
  'frame=26\nfps=51.98\nstream_0_0_q=29.0\nbitrate=  11.3kbits/s\ntotal_size=1435\nout_time_us=1000000\nout_time_ms=1000000\nout_time=00:00:01.000000\ndup_frames=0\ndrop_frames=0\nspeed=1.99x\nprogress=continue\n',
  'frame=50\nfps=49.50\nstream_0_0_q=-1.0\nbitrate=  50.1kbits/s\ntotal_size=12527\nout_time_us=2000000\nout_time_ms=2000000\nout_time=00:00:02.000000\ndup_frames=0\ndrop_frames=0\nspeed=1.98x\nprogress=end\n',
].join('');

describe('FfmpegProgressParser', () => {
  it('reads position, fps, speed and the end marker from -progress blocks', () => {
    const blocks = new FfmpegProgressParser().push(BLOCKS);
    expect(blocks).toEqual([
      { outTimeSeconds: null, fps: 0, frames: 0, speed: null, end: false },
      { outTimeSeconds: 1, fps: 51.98, frames: 26, speed: 1.99, end: false },
      { outTimeSeconds: 2, fps: 49.5, frames: 50, speed: 1.98, end: true },
    ]);
  });

  it('gives the same blocks however the output is cut into chunks', () => {
    const whole = new FfmpegProgressParser().push(BLOCKS);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: BLOCKS.length - 1 }), { maxLength: 30 }), (cuts) => {
        const parser = new FfmpegProgressParser();
        const points = [0, ...cuts.sort((a, b) => a - b), BLOCKS.length];
        const got = points.slice(1).flatMap((end, i) => parser.push(BLOCKS.slice(points[i], end)));
        expect(got).toEqual(whole);
      }),
    );
  });

  it('falls back to out_time when the microsecond fields are missing', () => {
    const [block] = new FfmpegProgressParser().push('out_time=00:01:02.500000\r\nspeed=0.5x\r\nprogress=continue\r\n');
    expect(block).toEqual({ outTimeSeconds: 62.5, fps: null, frames: null, speed: 0.5, end: false });
  });
});

describe('toTranscodeProgress', () => {
  it('derives percent and time left from the position, speed and probed duration', () => {
    expect(toTranscodeProgress({ outTimeSeconds: 2.5, fps: 50, frames: null, speed: 2, end: false }, 10)).toEqual({
      percent: 25,
      fps: 50,
      speed: 2,
      etaSeconds: 3.8,
    });
  });

  it('clamps past-the-end positions to 100 and reports no ETA without a speed', () => {
    expect(
      toTranscodeProgress({ outTimeSeconds: 10.04, fps: null, frames: null, speed: null, end: false }, 10),
    ).toEqual({ percent: 100, fps: null, speed: null, etaSeconds: null });
    expect(
      toTranscodeProgress({ outTimeSeconds: null, fps: 0, frames: null, speed: null, end: false }, 10).percent,
    ).toBe(0);
  });

  it('reads 100 % with nothing left on the final block, even if the duration was off', () => {
    expect(toTranscodeProgress({ outTimeSeconds: 9.2, fps: 30, frames: null, speed: 3, end: true }, 10)).toEqual({
      percent: 100,
      fps: 30,
      speed: 3,
      etaSeconds: 0,
    });
  });

  it('stays at 0 % for an input of unknown duration', () => {
    expect(toTranscodeProgress({ outTimeSeconds: 4, fps: 30, frames: null, speed: 3, end: false }, 0)).toEqual({
      percent: 0,
      fps: 30,
      speed: 3,
      etaSeconds: null,
    });
  });

  it('measures fps itself while ffmpeg 5 still says 0 (its first second, or all of a short encode)', () => {
    expect(
      toTranscodeProgress({ outTimeSeconds: 4, fps: 0, frames: 120, speed: 8, end: false }, 10, 0.5),
    ).toMatchObject({ fps: 240 });
    expect(
      toTranscodeProgress({ outTimeSeconds: 10, fps: 0, frames: 300, speed: 10, end: true }, 10, 0.8),
    ).toMatchObject({ fps: 375, percent: 100 });
    expect(toTranscodeProgress({ outTimeSeconds: 4, fps: 61.2, frames: 120, speed: 2, end: false }, 10, 0.5).fps).toBe(
      61.2,
    );
    expect(toTranscodeProgress({ outTimeSeconds: null, fps: 0, frames: 0, speed: null, end: false }, 10, 0.2).fps).toBe(
      0,
    );
  });
});
