/**
 * The encoding presets Kiln offers. A preset is data only: what the output should be. The
 * ffmpeg adapter in `@kiln/media` turns a preset plus a probed input into an ffmpeg command.
 */
export interface VideoRendition {
  /** Output height in pixels; the input is never upscaled, width follows the aspect ratio. */
  height: number;
  /** Constant rate factor (quality); lower is better and larger. */
  crf: number;
  /** Peak bitrate in kbit/s, used for `-maxrate`/`-bufsize` so players can pick a rung. */
  maxrateKbps: number;
}

export interface Mp4Preset {
  kind: 'mp4';
  id: string;
  description: string;
  extension: 'mp4';
  contentType: 'video/mp4';
  video: VideoRendition & { codec: 'h264'; x264Preset: 'veryfast' | 'fast' | 'medium' };
  audio: { codec: 'aac'; bitrateKbps: number };
}

export type Preset = Mp4Preset;

const mp4 = (height: number, crf: number, maxrateKbps: number, audioKbps: number): Mp4Preset => ({
  kind: 'mp4',
  id: `mp4-${height}p`,
  description: `MP4, H.264 up to ${height}p (CRF ${crf}, peak ${maxrateKbps} kbit/s) + AAC ${audioKbps} kbit/s, fast start; never upscaled, aspect kept`,
  extension: 'mp4',
  contentType: 'video/mp4',
  video: { codec: 'h264', height, crf, maxrateKbps, x264Preset: 'veryfast' },
  audio: { codec: 'aac', bitrateKbps: audioKbps },
});

/** Every preset by id, in the order `GET /v1/presets` lists them. */
export const PRESETS: ReadonlyMap<string, Preset> = new Map(
  [mp4(1080, 22, 6000, 160), mp4(720, 23, 3500, 128), mp4(480, 24, 1500, 128), mp4(360, 25, 900, 96)].map(
    (p) => [p.id, p] as const,
  ),
);

/** The preset ids, for schemas and error messages. */
export const PRESET_IDS = [...PRESETS.keys()] as [string, ...string[]];

/** Looks a preset up by id; undefined when there is none. */
export function getPreset(id: string): Preset | undefined {
  return PRESETS.get(id);
}
