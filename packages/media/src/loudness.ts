import type { MediaInfo } from './media-info.js';

/** What a job asks of its audio's loudness (EBU R128 / ITU-R BS.1770 integrated loudness). */
export interface LoudnessTarget {
  /** Integrated loudness to reach, LUFS (e.g. -23 broadcast, -16 web and podcasts, -14 music streaming). */
  targetLufs: number;
  /** The highest true peak allowed, dBTP. */
  truePeakDb: number;
}

/** What the first `loudnorm` pass measured of the input's audio (its `print_format=json` block). */
export interface LoudnessMeasurement {
  inputI: number;
  inputTp: number;
  inputLra: number;
  inputThresh: number;
  targetOffset: number;
}

/** A target with the input's measurement: every output's audio filter is made from it. */
export interface LoudnessPlan extends LoudnessTarget {
  measured: LoudnessMeasurement;
}

/**
 * The loudness range loudnorm is asked to keep. In its linear mode (one gain for the whole input:
 * the dynamics stay as mixed) it needs the measured range within this, so the range given is the
 * input's own, at least EBU R128's customary 11 LU and at most loudnorm's 50.
 */
function targetLra(measured: LoudnessMeasurement): number {
  return Math.min(50, Math.max(11, Math.ceil(measured.inputLra * 10) / 10));
}

/**
 * Downmixes more than two channels to stereo first, as the outputs do (`-ac 2`), so the loudness
 * measured is that of the audio the outputs carry.
 */
function stereoFirst(media: MediaInfo): string {
  return media.audio && media.audio.channels > 2 ? 'aformat=channel_layouts=stereo,' : '';
}

/** The first pass's audio filter: measure only (`print_format=json`, printed at the end on stderr). */
export function loudnessMeasureFilter(target: LoudnessTarget, media: MediaInfo): string {
  return `${stereoFirst(media)}loudnorm=I=${target.targetLufs}:TP=${target.truePeakDb}:LRA=11:print_format=json`;
}

/**
 * The second pass's audio filter, from the first pass's measurement: a linear gain to the target
 * where the true-peak limit allows it (else loudnorm's dynamic mode), then back to `sampleRate`
 * (loudnorm works at 192 kHz) and the input's layout (stereo at most). Null when the input measured as silence (nothing to normalise).
 */
export function loudnessFilter(plan: LoudnessPlan, media: MediaInfo, sampleRate: number): string | null {
  const m = plan.measured;
  if (![m.inputI, m.inputTp, m.inputLra, m.inputThresh, m.targetOffset].every(Number.isFinite)) return null;
  // loudnorm leaves its output's channel layout open, which the encoders refuse for mono ("Cannot select channel layout").
  const layout = media.audio?.channels === 1 ? 'mono' : 'stereo';
  const measured = [
    `measured_I=${m.inputI}`,
    `measured_TP=${m.inputTp}`,
    `measured_LRA=${m.inputLra}`,
    `measured_thresh=${m.inputThresh}`,
    `offset=${m.targetOffset}`,
  ].join(':');
  return (
    `${stereoFirst(media)}loudnorm=I=${plan.targetLufs}:TP=${plan.truePeakDb}:LRA=${targetLra(m)}:` +
    `${measured}:linear=true:print_format=none,aresample=${sampleRate},aformat=channel_layouts=${layout}`
  );
}

/** The sample rates ffmpeg's AAC encoder takes. */
const AAC_RATES = new Set([96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000]);

/**
 * The rate an output's audio is written at after loudnorm: the input's where the encoder takes it
 * (as without loudnorm), else 48 kHz; Opus is always 48 kHz.
 */
export function loudnessSampleRate(media: MediaInfo, encoder: 'aac' | 'opus'): number {
  const rate = media.audio?.sampleRate ?? 48000;
  return encoder === 'aac' && AAC_RATES.has(rate) ? rate : 48000;
}

/**
 * The measurement in the first pass's stderr: the last `{…}` block holding `input_i`. Values may
 * be `-inf` (silence), read as -Infinity. Null when there is none.
 */
export function parseLoudnormJson(stderr: string): LoudnessMeasurement | null {
  const start = stderr.lastIndexOf('{');
  const end = stderr.indexOf('}', start);
  if (start < 0 || end < 0) return null;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(stderr.slice(start, end + 1)) as Record<string, unknown>;
  } catch {
    return null;
  }
  const num = (key: string): number | null => {
    const v = raw[key];
    if (typeof v !== 'string') return null;
    const n = v.trim() === '-inf' ? -Infinity : v.trim() === 'inf' ? Infinity : Number(v);
    return Number.isNaN(n) ? null : n;
  };
  const inputI = num('input_i');
  const inputTp = num('input_tp');
  const inputLra = num('input_lra');
  const inputThresh = num('input_thresh');
  const targetOffset = num('target_offset');
  if (inputI === null || inputTp === null || inputLra === null || inputThresh === null || targetOffset === null)
    return null;
  return { inputI, inputTp, inputLra, inputThresh, targetOffset };
}
