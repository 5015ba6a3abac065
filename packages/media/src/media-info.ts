/** The first usable video stream of a file, as ffprobe reports it. */
export interface VideoStreamInfo {
  /** ffprobe's codec name, e.g. `h264`, `hevc`, `vp9`. */
  codec: string;
  /** Coded width in pixels, before rotation and sample aspect ratio. */
  width: number;
  /** Coded height in pixels, before rotation. */
  height: number;
  /** Width as shown to a viewer: sample aspect ratio applied, then rotation. */
  displayWidth: number;
  /** Height as shown to a viewer: after rotation. */
  displayHeight: number;
  /** Average frame rate, or null when the container does not say. */
  fps: number | null;
  /** Rotation from the display matrix (or the legacy `rotate` tag), normalised to 0, 90, 180 or 270. */
  rotation: 0 | 90 | 180 | 270;
  /** Frames the container says the stream has (MP4's `nb_frames`, mkvmerge's `NUMBER_OF_FRAMES` tag), or null when it does not say. */
  frameCount?: number | null;
  /** The stream's own duration in seconds, or null when the container gives none. */
  streamDurationSeconds?: number | null;
  /** ffprobe's pixel format, e.g. `yuv420p`, or null when it does not say. */
  pixelFormat?: string | null;
  /** The stream's own bit rate in bit/s, or null when the container does not say (Matroska, WebM). */
  bitRate?: number | null;
  /** Interlaced (ffprobe's `field_order` is `tt`, `bb`, `tb` or `bt`): outputs are deinterlaced. */
  interlaced?: boolean;
  /** High dynamic range by its transfer function (PQ: `smpte2084`, HLG: `arib-std-b67`), else null: HDR is tone-mapped to SDR. */
  hdr?: 'pq' | 'hlg' | null;
}

/** The first audio stream of a file. */
export interface AudioStreamInfo {
  /** ffprobe's codec name, e.g. `aac`, `opus`, `mp3`. */
  codec: string;
  channels: number;
  sampleRate: number;
  /** The stream's own bit rate in bit/s, or null when the container does not say. */
  bitRate?: number | null;
}

/** A text subtitle stream of a file (SubRip, ASS/SSA, MP4 timed text, WebVTT): what becomes a caption track. */
export interface SubtitleStreamInfo {
  /** Its place among the file's subtitle streams (ffmpeg's `0:s:<index>`), bitmap ones included. */
  index: number;
  /** ffprobe's codec name, e.g. `subrip`, `mov_text`, `ass`, `webvtt`. */
  codec: string;
  /** The stream's `language` tag (ISO 639-2, e.g. `eng`), or null. */
  language: string | null;
  /** The stream's `title` tag, or null. */
  title: string | null;
}

/**
 * What Kiln needs to know about a media file before encoding it. Our own shape, so callers do not
 * depend on ffprobe's JSON.
 */
export interface MediaInfo {
  /** Duration in seconds (container first, else the longest stream); 0 when unknown. */
  durationSeconds: number;
  /** ffprobe's demuxer name(s), e.g. `mov,mp4,m4a,3gp,3g2,mj2`. */
  formatName: string;
  sizeBytes: number;
  /** Overall bit rate in bit/s, or null when unknown. */
  bitRate: number | null;
  /** The first video stream that is not cover art, or null. */
  video: VideoStreamInfo | null;
  /** The first audio stream, or null. */
  audio: AudioStreamInfo | null;
  /** True when the file can become a video: it has a video stream and a duration above zero. */
  transcodable: boolean;
  /** Its text subtitle streams, in file order (bitmap subtitles, DVD and PGS, are not listed); absent: none. */
  subtitles?: SubtitleStreamInfo[];
}
