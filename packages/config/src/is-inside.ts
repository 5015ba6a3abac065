import path from 'node:path';

/**
 * Whether `file` lies strictly below `root` (not `root` itself), judged on the paths alone after
 * resolving `.` and `..`: the one "is this path inside that root" check every caller uses. Links
 * are the caller's to resolve first where they matter.
 */
export function isInside(root: string, file: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(file));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
