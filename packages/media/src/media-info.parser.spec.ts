import { describe, expect, it } from 'vitest';
import { parseFfprobeJson, type FfprobeStream } from './media-info.parser.js';

const h264 = (extra: FfprobeStream = {}): FfprobeStream => ({
  codec_type: 'video',
  codec_name: 'h264',
  width: 1920,
  height: 1080,
  sample_aspect_ratio: '1:1',
  avg_frame_rate: '30000/1001',
  ...extra,
});

describe('parseFfprobeJson', () => {
  it('says interlaced for a field order with a field first, and HDR by the transfer function', () => {
    const video = (extra: FfprobeStream) => parseFfprobeJson({ streams: [h264(extra)] }).video!;
    for (const order of ['tt', 'bb', 'tb', 'bt']) expect(video({ field_order: order }).interlaced).toBe(true);
    for (const order of ['progressive', 'unknown', undefined])
      expect(video(order ? { field_order: order } : {}).interlaced).toBe(false);
    expect(video({ color_transfer: 'smpte2084' }).hdr).toBe('pq');
    expect(video({ color_transfer: 'arib-std-b67' }).hdr).toBe('hlg');
    for (const trc of ['bt709', 'unknown', undefined]) expect(video(trc ? { color_transfer: trc } : {}).hdr).toBe(null);
  });

  it('reads format, first video and first audio stream', () => {
    const info = parseFfprobeJson({
      format: { format_name: 'mov,mp4', duration: '12.5', size: '1000', bit_rate: '640' },
      streams: [
        h264({ pix_fmt: 'yuv420p', bit_rate: '500000' }),
        { codec_type: 'audio', codec_name: 'aac', channels: 2, sample_rate: '48000', bit_rate: '128000' },
        { codec_type: 'audio', codec_name: 'ac3', channels: 6 },
      ],
    });
    expect(info).toEqual({
      durationSeconds: 12.5,
      formatName: 'mov,mp4',
      sizeBytes: 1000,
      bitRate: 640,
      video: {
        codec: 'h264',
        width: 1920,
        height: 1080,
        displayWidth: 1920,
        displayHeight: 1080,
        fps: 30000 / 1001,
        rotation: 0,
        frameCount: null,
        streamDurationSeconds: null,
        pixelFormat: 'yuv420p',
        bitRate: 500000,
        interlaced: false,
        hdr: null,
      },
      audio: { codec: 'aac', channels: 2, sampleRate: 48000, bitRate: 128000 },
      transcodable: true,
      subtitles: [],
    });
  });

  it('swaps display dimensions for quarter-turn rotations from the display matrix or the rotate tag', () => {
    const matrix = parseFfprobeJson({
      format: { duration: '1' },
      streams: [h264({ side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }] })],
    });
    expect(matrix.video).toMatchObject({
      width: 1920,
      height: 1080,
      displayWidth: 1080,
      displayHeight: 1920,
      rotation: 270,
    });
    const tag = parseFfprobeJson({ format: { duration: '1' }, streams: [h264({ tags: { rotate: '180' } })] });
    expect(tag.video).toMatchObject({ displayWidth: 1920, displayHeight: 1080, rotation: 180 });
  });

  it('applies the sample aspect ratio to the display width', () => {
    const info = parseFfprobeJson({
      format: { duration: '1' },
      streams: [h264({ width: 720, height: 480, sample_aspect_ratio: '32:27' })],
    });
    expect(info.video).toMatchObject({ displayWidth: 853, displayHeight: 480 });
  });

  it('ignores cover art, and marks audio-only files as not transcodable', () => {
    const info = parseFfprobeJson({
      format: { duration: '200' },
      streams: [
        { codec_type: 'audio', codec_name: 'mp3', channels: 2, sample_rate: '44100' },
        h264({ codec_name: 'mjpeg', disposition: { attached_pic: 1 } }),
      ],
    });
    expect(info.video).toBeNull();
    expect(info.transcodable).toBe(false);
  });

  it('takes the duration from streams or Matroska tags when the container has none', () => {
    expect(parseFfprobeJson({ format: {}, streams: [h264({ duration: '3.2' })] }).durationSeconds).toBe(3.2);
    const mkv = parseFfprobeJson(
      { format: { duration: 'N/A' }, streams: [h264({ tags: { DURATION: '00:01:02.500000000' } })] },
      77,
    );
    expect(mkv).toMatchObject({ durationSeconds: 62.5, sizeBytes: 77, bitRate: null, transcodable: true });
    expect(
      parseFfprobeJson({ format: {}, streams: [h264({ avg_frame_rate: '0/0', r_frame_rate: '0/0' })] }),
    ).toMatchObject({ durationSeconds: 0, transcodable: false, video: { fps: null } });
  });

  it("reads the frame count from nb_frames or mkvmerge's NUMBER_OF_FRAMES tag, and the stream's own duration", () => {
    const mp4 = parseFfprobeJson({
      format: { duration: '35928.8' },
      streams: [h264({ nb_frames: '720', duration: '35928.8' })],
    });
    expect(mp4.video).toMatchObject({ frameCount: 720, streamDurationSeconds: 35928.8 });
    const mkv = parseFfprobeJson({
      format: { duration: '10' },
      streams: [h264({ tags: { 'NUMBER_OF_FRAMES-eng': '250', DURATION: '00:00:10.000000000' } })],
    });
    expect(mkv.video).toMatchObject({ frameCount: 250, streamDurationSeconds: 10 });
    expect(parseFfprobeJson({ format: { duration: '1' }, streams: [h264({ nb_frames: 'N/A' })] }).video).toMatchObject({
      frameCount: null,
      streamDurationSeconds: null,
    });
  });
});
