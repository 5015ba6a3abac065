import { isDirectoryPreset, PRESETS, type Preset } from './presets.js';

/**
 * The name an output is stored under inside its job's folder: `<name>.<ext>` for a file output,
 * `<name>` (a directory) for HLS, thumbnails and storyboards. Storage keys, scratch files and checks for
 * collisions all derive from this one rule.
 */
export function outputFileName(name: string, preset: Preset): string {
  return isDirectoryPreset(preset) ? name : `${name}.${preset.extension}`;
}

/** One output of a create request: its preset id and its (possibly defaulted) name. */
export interface NamedOutput {
  preset: string;
  name?: string | undefined;
}

/**
 * For each output whose stored name is already taken by an earlier output of the same job, its
 * index and the clash in words. A file output `a` (mp4) is stored as `a.mp4`, so a directory
 * output named `a.mp4` would share its place in storage; two outputs with one name clash too.
 */
export function outputNameClashes(outputs: readonly NamedOutput[]): { index: number; message: string }[] {
  const names = new Set<string>();
  const stored = new Map<string, { index: number; name: string }>();
  const clashes: { index: number; message: string }[] = [];
  outputs.forEach((o, index) => {
    const name = o.name ?? o.preset;
    const preset = PRESETS.get(o.preset);
    const place = preset ? outputFileName(name, preset) : name;
    const earlier = stored.get(place);
    if (names.has(name))
      clashes.push({ index, message: `duplicate output name "${name}"; give each output a distinct name` });
    else if (earlier)
      clashes.push({
        index,
        message: `output name "${name}" is stored as "${place}", the same place as output ${earlier.index} ("${earlier.name}"); pick another name`,
      });
    names.add(name);
    if (!earlier) stored.set(place, { index, name });
  });
  return clashes;
}
