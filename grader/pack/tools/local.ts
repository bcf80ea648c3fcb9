// What the student pack's scripts share: where the pack and the student's files are, the
// pack's description (pack.json), the exercises, and the consent switch of the progress log.
// These files live at the same path in the kit and in the pack (grader/pack/tools/), so
// their relative imports work in both.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exerciseDir, listExercises, loadManifest, type Manifest } from '../../../kernels/harness/manifest.ts';

/** The pack's root folder (the kit's root when run from the kit). */
export const packRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** Where the student's files are: MP_SUBMISSION, else the pack's root (as the test harness does). */
export function studentRoot(): string {
  return resolve(process.env.MP_SUBMISSION || packRoot);
}

/** What `npx grader pack` records about an exercise in pack.json. */
export interface PackExercise {
  readonly id: string;
  readonly title: string;
  /** The files a student submits for it (the manifest's `files`). */
  readonly files: readonly string[];
  readonly points: {
    /** Points of the public tests (what `npm run check` can show). */
    readonly public: number;
    /** Points of every automated test, hidden ones included. */
    readonly total: number;
    /** Points marked by hand (e.g. REFLECTION.md). */
    readonly manual: number;
  };
  /** sha256 of each starter file, to warn about submitting a file that was never changed. */
  readonly starter: Readonly<Record<string, string>>;
  /** What only grading checks (hidden tests), so that local green is not taken for a mark. */
  readonly gradedOnly?: readonly GradedOnly[];
}

/**
 * A rubric group's hidden tests: what only grading checks. Named by the group (the name of a
 * hidden test is itself hidden: the pack never holds it).
 */
export interface GradedOnly {
  readonly group: string;
  readonly tests: number;
  readonly points: number;
}

export interface PackInfo {
  /** The kit version the pack was built from (the grader stamps the same on results). */
  readonly kit: string;
  readonly exercises: readonly PackExercise[];
  /** sha256 of REFLECTION.md as shipped. */
  readonly reflection?: string;
}

export const PACK_INFO = 'pack.json';
export const SETTINGS = 'settings.json';
export const PROGRESS_LOG = 'progress.jsonl';
export const REFLECTION = 'REFLECTION.md';

export function readPackInfo(root = packRoot): PackInfo | undefined {
  const file = join(root, PACK_INFO);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as PackInfo;
}

/** The exercises of the pack with their (pack) manifests, in course order; `only` filters by id. */
export function packExercises(only: readonly string[] = []): Manifest[] {
  const all = listExercises();
  const unknown = only.filter((id) => !all.includes(id));
  if (unknown.length > 0) throw new Error(`no exercise "${unknown[0]}" in this pack (there are: ${all.join(', ')})`);
  return all.filter((id) => only.length === 0 || only.includes(id)).map((id) => loadManifest(exerciseDir(id)));
}

/** The exercise a test file belongs to (`…/exercises/<id>/tests/…`). */
/**
 * A student's own test file: `*.mine.test.ts` beside the public tests. It runs in `npm test`,
 * but never counts: not in points, not in the progress log, not in `npm run check`; the grader
 * never has it (intake takes only the manifest's files).
 */
export function isOwnTestFile(file: string): boolean {
  return /\.mine\.test\.[cm]?ts$/.test(file);
}

export function exerciseOfTestFile(file: string): string | undefined {
  return /(?:^|[\\/])exercises[\\/]([a-z][a-z0-9-]*)[\\/]tests[\\/]/.exec(file)?.[1];
}

/**
 * Is the progress log on? Off when the environment says MP_PROGRESS_LOG=0 (or off/false/no),
 * or settings.json says "progressLog": false. On otherwise: the README asks first.
 */
export function progressLogEnabled(root = packRoot): boolean {
  const env = process.env.MP_PROGRESS_LOG?.trim().toLowerCase();
  if (env !== undefined && env !== '') return !['0', 'off', 'false', 'no'].includes(env);
  try {
    const settings = JSON.parse(readFileSync(join(root, SETTINGS), 'utf8')) as { progressLog?: unknown };
    return settings.progressLog !== false;
  } catch {
    return true;
  }
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The kit's top-level folders: files there are never the student's. */
const KIT_DIRS = new Set(['runtime', 'kernels', 'exercises', 'grader', 'node_modules', 'starter', 'solutions']);

/** Is `file` (absolute) one of the student's files under `root` (and not kit material)? */
export function isStudentFile(file: string, root: string): boolean {
  const rel = relative(root, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return false;
  return !KIT_DIRS.has(rel.split(/[\\/]/)[0]!);
}

/** "1.2 KiB" */
export function size(n: number): string {
  if (n < 1024) return `${n} B`;
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every file under `dir` (relative paths, '/'-separated, sorted); [] when it does not exist. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)).split('\\').join('/'))
    .sort();
}
