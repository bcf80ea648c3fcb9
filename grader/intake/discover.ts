import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isJunkSegment } from './paths.ts';
import { sniff } from './sniff.ts';
import type { SubmissionKind, SubmissionSource, WantedFiles } from './types.ts';
import { checkWanted, expectedFolders, type CheckedWanted } from './wanted.ts';

export interface DiscoverResult {
  /** One per student, sorted by student id. */
  sources: SubmissionSource[];
  /** Entries of class folders that were not taken, with the reason (for the operator, not students). */
  skipped: { path: string; reason: string }[];
}

/**
 * Turns the paths given to the grader into one source per student.
 *
 * - A `.zip`, `.tar.gz`/`.tgz` (or `.tar`) file is one submission; the student id is its name
 *   without the extension.
 * - A folder is ONE submission when any wanted file exists directly in it, or a folder that a
 *   wanted path starts with does (`ring/` for `ring/ring.ts`), or it holds no sub-folder and no
 *   archive at all. Otherwise it is a CLASS folder: each sub-folder and each archive in it is one
 *   student (id = entry name without extension). Hidden entries and OS junk are passed over, other
 *   loose files are reported in `skipped`. A class folder's entry that is a folder holding no wanted
 *   file but exactly one archive (as LMS downloads do) stands for that archive.
 * - Paths given by the caller may be symbolic links (they are resolved); entries inside a class
 *   folder are never followed: a linked entry still becomes a source, and intake refuses it.
 * - Student ids are NFC-normalised, and control, format and bidi characters (a right-to-left
 *   override, a zero-width space) are written out visibly as `\u{202E}`, so an id looks the same
 *   in every view and cannot reorder the text around it.
 * - Two entries giving the same student id, or ids equal under case folding (`Alice.zip` and
 *   `alice.tar.gz`, which share a folder on macOS and Windows): the first in name order is
 *   taken, the other skipped with the reason, and the taken student's report says so.
 *
 * Ambiguity: a folder whose only content is a wrapper folder (`alice/exercise3/ring/ring.ts`)
 * reads as a class of one student named "exercise3": pass the inner folder or an archive instead.
 * Throws for a path that does not exist or is neither a folder nor an archive (a caller mistake).
 */
export async function discoverDetailed(paths: string[], wanted: WantedFiles): Promise<DiscoverResult> {
  const want = checkWanted(wanted);
  const sources: SubmissionSource[] = [];
  const skipped: DiscoverResult['skipped'] = [];
  for (const given of paths) {
    const real = await fs.realpath(given).catch(() => {
      throw new Error(`discover: ${given} does not exist or cannot be read`);
    });
    const st = await fs.stat(real);
    if (st.isDirectory()) {
      if (await isSubmissionFolder(real, want)) {
        sources.push({ student: studentId(path.basename(real)), path: real, kind: 'folder' });
      } else {
        await addClassFolder(real, want, sources, skipped);
      }
      continue;
    }
    const kind = st.isFile() ? await archiveKind(real) : undefined;
    if (kind === undefined) throw new Error(`discover: ${given} is not a folder, a .zip or a .tar.gz`);
    sources.push({ student: studentId(path.basename(real)), path: real, kind });
  }
  return { sources: dedupe(sources, skipped), skipped };
}

/** `discoverDetailed(...).sources`. */
export async function discover(paths: string[], wanted: WantedFiles): Promise<SubmissionSource[]> {
  return (await discoverDetailed(paths, wanted)).sources;
}

async function isSubmissionFolder(dir: string, want: CheckedWanted): Promise<boolean> {
  for (const w of want.all) {
    if (await exists(path.join(dir, ...w.split('/')))) return true;
  }
  for (const folder of expectedFolders(want)) {
    const st = await fs.lstat(path.join(dir, folder)).catch(() => undefined);
    if (st?.isDirectory()) return true;
  }
  const dirents = await fs.readdir(dir, { withFileTypes: true });
  const studentLike = dirents.filter((d) => visible(d.name) && (d.isDirectory() || d.isSymbolicLink() || extensionKind(d.name) !== undefined));
  return studentLike.length === 0;
}

async function addClassFolder(dir: string, want: CheckedWanted, sources: SubmissionSource[], skipped: DiscoverResult['skipped']): Promise<void> {
  const dirents = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of dirents) {
    if (!visible(d.name)) continue;
    const full = path.join(dir, d.name);
    const student = studentId(d.name);
    if (d.isDirectory()) {
      const inner = await singleArchiveInside(full, want);
      sources.push(inner === undefined ? { student, path: full, kind: 'folder' } : { student, path: inner.path, kind: inner.kind });
    } else if (d.isSymbolicLink()) {
      sources.push({ student, path: full, kind: extensionKind(d.name) ?? 'folder' });
    } else if (d.isFile()) {
      const kind = await archiveKind(full);
      if (kind !== undefined) sources.push({ student, path: full, kind });
      else skipped.push({ path: full, reason: 'not a folder, a .zip or a .tar.gz' });
    } else {
      skipped.push({ path: full, reason: 'not a regular file or folder' });
    }
  }
}

/** A student folder that holds no wanted file but exactly one archive (and nothing else visible). */
async function singleArchiveInside(dir: string, want: CheckedWanted): Promise<{ path: string; kind: SubmissionKind } | undefined> {
  if (await isSubmissionFolderStrict(dir, want)) return undefined;
  const dirents = (await fs.readdir(dir, { withFileTypes: true }).catch(() => [])).filter((d) => visible(d.name));
  if (dirents.length !== 1) return undefined;
  const only = dirents[0];
  if (only === undefined || !only.isFile()) return undefined;
  const full = path.join(dir, only.name);
  const kind = await archiveKind(full);
  return kind === undefined ? undefined : { path: full, kind };
}

/** Wanted files or expected folders directly inside `dir`. */
async function isSubmissionFolderStrict(dir: string, want: CheckedWanted): Promise<boolean> {
  for (const p of [...want.all, ...expectedFolders(want)]) {
    if (await exists(path.join(dir, ...p.split('/')))) return true;
  }
  return false;
}

/** By extension, else by content (a zip or gzip without a telling name). */
async function archiveKind(file: string): Promise<SubmissionKind | undefined> {
  const byName = extensionKind(path.basename(file));
  if (byName !== undefined) return byName;
  const format = await sniff(file).catch(() => undefined);
  if (format === 'zip') return 'zip';
  if (format === 'gzip' || format === 'tar') return 'tar.gz';
  return undefined;
}

const EXTENSIONS: [string, SubmissionKind][] = [
  ['.tar.gz', 'tar.gz'],
  ['.tgz', 'tar.gz'],
  ['.tar', 'tar.gz'],
  ['.zip', 'zip'],
];

function extensionKind(name: string): SubmissionKind | undefined {
  const lower = name.toLowerCase();
  return EXTENSIONS.find(([ext]) => lower.endsWith(ext) && lower.length > ext.length)?.[1];
}

/** The entry name without its archive extension, normalised and with invisible characters made visible. */
export function studentId(name: string): string {
  const lower = name.toLowerCase();
  const ext = EXTENSIONS.find(([e]) => lower.endsWith(e) && lower.length > e.length)?.[0];
  return visibleId(ext === undefined ? name : name.slice(0, name.length - ext.length));
}

/**
 * NFC, and every control, format (bidi overrides and isolates, zero-width characters), line or
 * paragraph separator and non-ASCII space written as `\u{XXXX}`.
 */
export function visibleId(id: string): string {
  return id.normalize('NFC').replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|(?! )\p{Zs}/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`);
}

/** Ids that name the same student: equal after case folding (one folder on a case-insensitive disk). */
function collisionKey(id: string): string {
  return id.normalize('NFKC').toLowerCase();
}

function visible(name: string): boolean {
  return !name.startsWith('.') && !isJunkSegment(name);
}

async function exists(p: string): Promise<boolean> {
  return (await fs.lstat(p).catch(() => undefined)) !== undefined;
}

function dedupe(sources: SubmissionSource[], skipped: DiscoverResult['skipped']): SubmissionSource[] {
  const byStudent = new Map<string, SubmissionSource>();
  for (const s of sources) {
    const key = collisionKey(s.student);
    const first = byStudent.get(key);
    if (first === undefined) {
      byStudent.set(key, s);
      continue;
    }
    const same =
      first.student === s.student ? `the same student id "${s.student}"` : `"${s.student}", the same id as "${first.student}" apart from letter case`;
    const reason = `a second submission for ${same} was not graded: ${path.basename(s.path)} (graded: ${path.basename(first.path)})`;
    skipped.push({ path: s.path, reason });
    byStudent.set(key, { ...first, duplicates: [...(first.duplicates ?? []), reason] });
  }
  return [...byStudent.values()].sort((a, b) => (a.student < b.student ? -1 : a.student > b.student ? 1 : 0));
}
