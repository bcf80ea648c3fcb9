/**
 * Entry names: normalisation, safety checks, OS junk, and quoting for notes.
 */

export type SafePath = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Turns a stored entry name into a relative posix path, or says why it is refused.
 * Backslashes count as separators (Windows zip tools write them); "." and empty segments
 * are dropped; any ".." segment, an absolute path, a drive letter, a NUL or another control
 * character is refused. A trailing "/" (a folder entry) is dropped. A name that is only "."
 * segments (like "./") is the root itself: accepted as the empty path, which callers pass over.
 */
export function safePath(name: string): SafePath {
  if (name.length === 0) return { ok: false, reason: 'the entry has no name.' };
  if (name.includes('\0')) return { ok: false, reason: 'the name contains a NUL character.' };
  if (/[\x01-\x1f\x7f]/.test(name)) return { ok: false, reason: 'the name contains control characters.' };
  const slashed = name.replace(/\\/g, '/');
  if (/^[A-Za-z]:/.test(slashed)) return { ok: false, reason: 'the path names a drive (like C:), so it leaves the submission folder.' };
  if (slashed.startsWith('/')) return { ok: false, reason: 'the path is absolute, so it leaves the submission folder.' };
  const segments = slashed.split('/').filter((s) => s !== '' && s !== '.');
  let depth = 0;
  for (const s of segments) {
    depth += s === '..' ? -1 : 1;
    if (depth < 0) return { ok: false, reason: 'the path leaves the submission folder.' };
  }
  if (segments.includes('..')) return { ok: false, reason: 'the path contains "..", which is not allowed.' };
  // Names like "./" or "." are the archive root itself: ok, with the empty path.
  return { ok: true, path: segments.join('/') };
}

/** Names the OS or tools add on their own; skipped silently, never descended into. */
const JUNK_NAMES = new Set(['__MACOSX', '.DS_Store', 'Thumbs.db', 'desktop.ini', '.git', 'node_modules', '.Spotlight-V100', '.Trashes', '.fseventsd']);

/** True for an OS/tool junk segment: `__MACOSX`, `.DS_Store`, AppleDouble `._x`, `Thumbs.db`, `.git`, `node_modules`… */
export function isJunkSegment(segment: string): boolean {
  return JUNK_NAMES.has(segment) || segment.startsWith('._');
}

/** True when any segment of a normalised path is junk. */
export function isJunkPath(path: string): boolean {
  return path.split('/').some(isJunkSegment);
}

/** Quotes a name for a note: double quotes, control characters shown as "?", long names shortened. */
export function quote(name: string): string {
  let shown = name.replace(/[\x00-\x1f\x7f]/g, '?');
  if (shown.length > 120) shown = `${shown.slice(0, 58)}…${shown.slice(-58)}`;
  return `"${shown}"`;
}

/** Throws TypeError unless `path` is already a clean relative posix path (used for manifest paths, a caller bug). */
export function assertCleanRelative(path: string, what: string): void {
  const checked = safePath(path);
  if (!checked.ok || checked.path !== path) {
    throw new TypeError(`${what} must be a clean relative posix path, got ${JSON.stringify(path)}`);
  }
}
