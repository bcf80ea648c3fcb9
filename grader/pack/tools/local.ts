// What the student pack's scripts share: where the pack and the student's files are, the
// exercises, and the consent switch of the progress log. Nothing outside tools/ imports it:
// what the grader shares with these scripts lives below both (../info.ts, ../../files.ts).
// These files live at the same path in the kit and in the pack (grader/pack/tools/), so
// their relative imports work in both.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exerciseDir, listExercises, loadManifest, type Manifest } from '../../../kernels/harness/manifest.ts';
import { readPackInfo as readInfo, type PackInfo } from '../info.ts';

/** The pack's root folder (the kit's root when run from the kit). */
export const packRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** Where the student's files are: MP_SUBMISSION, else the pack's root (as the test harness does). */
export function studentRoot(): string {
  return resolve(process.env.MP_SUBMISSION || packRoot);
}

export const SETTINGS = 'settings.json';
export const PROGRESS_LOG = 'progress.jsonl';
export const REFLECTION = 'REFLECTION.md';

/** The pack's pack.json (undefined when run from the kit, which has none). */
export function readPackInfo(root = packRoot): PackInfo | undefined {
  return readInfo(root);
}

/** The exercises of the pack with their (pack) manifests, in course order; `only` filters by id. */
export function packExercises(only: readonly string[] = []): Manifest[] {
  const all = listExercises();
  const unknown = only.filter((id) => !all.includes(id));
  if (unknown.length > 0) throw new Error(`no exercise "${unknown[0]}" in this pack (there are: ${all.join(', ')})`);
  return all.filter((id) => only.length === 0 || only.includes(id)).map((id) => loadManifest(exerciseDir(id)));
}

/** The exercise a test file belongs to (`…/exercises/<id>/tests/…`). */
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

/** The kit's top-level folders: files there are never the student's. */
const KIT_DIRS = new Set(['runtime', 'kernels', 'exercises', 'grader', 'node_modules', 'starter', 'solutions']);

/** Is `file` (absolute) one of the student's files under `root` (and not kit material)? */
export function isStudentFile(file: string, root: string): boolean {
  const rel = relative(root, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return false;
  return !KIT_DIRS.has(rel.split(/[\\/]/)[0]!);
}
