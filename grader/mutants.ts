// Mutants as patches. A mutant (a known-bad variant of the reference solution) is stored as
// one unified diff against the solution, `exercises/<id>/mutants/<mutant>.patch`: the patch is
// the bug, readable at a glance, and the solution can change without editing copies of it.
// Free text before the first `--- ` line is the patch's header (what bug it plants).
// File names in the patch are submission paths (`a/ring/ring.ts`, `b/ring/ring.ts`), so
// `git apply` run in `solutions/<id>/` applies it too.
//
// Everyone who needs a mutant's files (selftest, the kit's tests, examples, benchmarks) takes
// them from here. Application is strict: the patch is parsed and applied by jsdiff (`diff`)
// with no fuzz, and every hunk's context and removed lines must occur exactly once in the
// solution's file. A hunk may move (the solution gained or lost lines elsewhere), as with
// `git apply`; a hunk whose lines the solution no longer has, or has in two places, is an
// error naming the mutant, the file and the hunk, never a silent misapplication.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { applyPatch, formatPatch, parsePatch, structuredPatch, type StructuredPatch, type StructuredPatchHunk } from 'diff';
import { exerciseDir, type Manifest } from '../kernels/harness/manifest.ts';
import { kitRoot } from './kit.ts';

/** A patch that does not parse or no longer applies; the message names the mutant, the file and the hunk. */
export class MutantPatchError extends Error {
  override name = 'MutantPatchError';
}

/** The patch of a mutant, relative to its exercise folder. */
export function patchFile(mutantId: string): string {
  return `mutants/${mutantId}.patch`;
}

/** The reference solution's folder of an exercise (laid out as a submission). */
export function solutionDir(exerciseId: string, root = kitRoot): string {
  return join(root, 'solutions', exerciseId);
}

/** The text of a mutant's patch, or an error naming the missing file. */
export function readPatch(exerciseId: string, mutantId: string, exDir = exerciseDir(exerciseId)): string {
  const path = join(exDir, patchFile(mutantId));
  if (!existsSync(path))
    throw new MutantPatchError(
      `mutant ${exerciseId}/${mutantId}: exercises/${exerciseId}/${patchFile(mutantId)} does not exist (make it with npx grader mutant ${exerciseId} ${mutantId} --from DIR)`,
    );
  return readFileSync(path, 'utf8');
}

/** A submission path from a patch's file name: `a/ring/ring.ts` → `ring/ring.ts`. */
function submissionPath(name: string | undefined): string | undefined {
  return name?.replace(/^[ab]\//, '');
}

/** The header of a patch: its lines before the first file. */
export function patchHeader(patch: string): string {
  const lines = patch.split('\n');
  const first = lines.findIndex((l) => /^(---|\+\+\+|@@|diff |Index:)\s/.test(l));
  return lines
    .slice(0, first < 0 ? lines.length : first)
    .join('\n')
    .trim();
}

/**
 * The files a mutant changes: submission path → the solution's file with the patch applied.
 * `label` names the mutant in errors; `read` gives a solution file's text (or undefined).
 */
export function applyMutantPatch(patch: string, read: (file: string) => string | undefined, label: string): Map<string, string> {
  let parsed: StructuredPatch[];
  try {
    parsed = parsePatch(patch);
  } catch (e) {
    throw new MutantPatchError(`${label} does not parse as a unified diff: ${(e as Error).message}`);
  }
  const out = new Map<string, string>();
  for (const p of parsed) {
    if (p.hunks.length === 0 && p.oldFileName === undefined && p.newFileName === undefined) continue; // text with no file
    const file = submissionPath(p.newFileName);
    if (file === undefined || submissionPath(p.oldFileName) !== file || p.isCreate || p.isDelete || p.isRename || p.isCopy) {
      throw new MutantPatchError(
        `${label}: a mutant only changes files of the solution; this patch has --- ${p.oldFileName ?? '?'} +++ ${p.newFileName ?? '?'}`,
      );
    }
    if (out.has(file)) throw new MutantPatchError(`${label} changes ${file} twice: one section per file`);
    const source = read(file);
    if (source === undefined) throw new MutantPatchError(`${label} changes ${file}, which the solution does not have`);
    p.hunks.forEach((h, i) => {
      const where = placesOf(source, h);
      if (where.length === 1) return;
      const head = `hunk ${i + 1} (${hunkHeader(h)})`;
      if (where.length > 1)
        throw new MutantPatchError(
          `${label} no longer applies to ${file}: ${head} fits ${where.length} places (lines ${where.map((w) => w + 1).join(', ')}); make the patch again (npx grader mutant … --from DIR) so that its context is unique`,
        );
      throw new MutantPatchError(
        `${label} no longer applies to ${file}: ${head} ${mismatch(source, h)}. Change the mutant to match the solution and make its patch again (exercises/AUTHORING.md, "Mutants")`,
      );
    });
    const applied = applyPatch(source, p, { fuzzFactor: 0 });
    if (applied === false) throw new MutantPatchError(`${label} no longer applies to ${file}: its hunks do not fit in order`);
    out.set(file, applied);
  }
  if (out.size === 0) throw new MutantPatchError(`${label} changes no file`);
  return out;
}

/** The mutant's changed files: submission path → text. Throws MutantPatchError naming mutant, file and hunk. */
export function mutantFiles(exerciseId: string, mutantId: string, root = kitRoot): Map<string, string> {
  const solution = solutionDir(exerciseId, root);
  const exDir = root === kitRoot ? exerciseDir(exerciseId) : join(root, 'exercises', exerciseId);
  return applyMutantPatch(
    readPatch(exerciseId, mutantId, exDir),
    (f) => {
      const path = join(solution, f);
      return existsSync(path) && statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
    },
    `mutant ${exerciseId}/${mutantId} (exercises/${exerciseId}/${patchFile(mutantId)})`,
  );
}

/** One file of a mutant (the solution's where the patch does not change it). */
export function mutantFile(exerciseId: string, mutantId: string, file: string, root = kitRoot): string {
  const changed = mutantFiles(exerciseId, mutantId, root).get(file);
  return changed ?? readFileSync(join(solutionDir(exerciseId, root), file), 'utf8');
}

/** Writes the reference solution as a submission into `target` (without its alternatives/). */
export async function writeSolution(exerciseId: string, target: string, root = kitRoot): Promise<void> {
  const alternatives = join(solutionDir(exerciseId, root), 'alternatives'); // other reference solutions: not part of this one
  await cp(solutionDir(exerciseId, root), target, { recursive: true, filter: (src) => src !== alternatives && !src.startsWith(alternatives + sep) });
}

/** Writes the mutant as a whole submission into `target`: the solution with the patch applied. Returns the changed files. */
export async function writeMutant(exerciseId: string, mutantId: string, target: string, root = kitRoot): Promise<string[]> {
  const files = mutantFiles(exerciseId, mutantId, root); // before copying: a stale patch writes nothing
  await writeSolution(exerciseId, target, root);
  for (const [file, text] of files) {
    await mkdir(dirname(join(target, file)), { recursive: true });
    await writeFile(join(target, file), text);
  }
  return [...files.keys()];
}

/**
 * The patch that turns the solution into the submission in `dir` (only the exercise's files
 * are compared; a file missing from `dir` is unchanged). `header` goes first. Each file's
 * context grows from 3 lines until every hunk fits one place only.
 */
export function makeMutantPatch(m: Pick<Manifest, 'id' | 'files'>, dir: string, header: string, root = kitRoot): string {
  const parts: StructuredPatch[] = [];
  for (const file of m.files) {
    const changed = join(dir, file);
    if (!existsSync(changed)) continue;
    const before = readFileSync(join(solutionDir(m.id, root), file), 'utf8');
    const after = readFileSync(changed, 'utf8');
    if (before === after) continue;
    parts.push(filePatch(file, before, after));
  }
  const body = parts.length > 0 ? formatPatch(parts, { includeIndex: false, includeUnderline: false, includeFileHeaders: true }) : '';
  const head = header.trim().length > 0 ? `${header.trim()}\n\n` : '';
  return `${head}${body}`;
}

/** One file's section: the smallest context (3 lines or more) at which every hunk is unique. */
export function filePatch(file: string, before: string, after: string): StructuredPatch {
  for (let context = 3; ; context++) {
    const p = structuredPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, { context });
    if (p.hunks.every((h) => placesOf(before, h).length === 1) || context > before.split('\n').length) {
      // The file-name lines carry no timestamps or tab.
      return { ...p, oldHeader: undefined, newHeader: undefined };
    }
  }
}

/** Mutant ids with a patch in `exercises/<id>/mutants/`, and any other file found there (stray). */
export function patchesIn(exDir: string): { ids: string[]; stray: string[] } {
  const dir = join(exDir, 'mutants');
  const ids: string[] = [];
  const stray: string[] = [];
  for (const f of existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : []) {
    const full = join(dir, f);
    if (statSync(full).isDirectory()) continue;
    const m = /^([a-z][a-z0-9-]*)\.patch$/.exec(f);
    if (m) ids.push(m[1]!);
    else stray.push(`mutants/${f}`);
  }
  return { ids, stray };
}

// ---- Strict placement ----------------------------------------------------------------------------

/** The lines a hunk expects in the old file (context and removed), without "\ No newline" markers. */
function oldSide(h: StructuredPatchHunk): string[] {
  return h.lines.filter((l) => l[0] === ' ' || l[0] === '-').map((l) => l.slice(1));
}

/** 0-based line numbers where the hunk's old side occurs in the source. */
function placesOf(source: string, h: StructuredPatchHunk): number[] {
  const lines = source.split('\n');
  const want = oldSide(h);
  if (want.length === 0) return [Math.max(0, h.oldStart - 1)]; // a pure insertion into an empty file
  const out: number[] = [];
  for (let i = 0; i + want.length <= lines.length; i++) {
    let j = 0;
    while (j < want.length && stripCr(lines[i + j]!) === stripCr(want[j]!)) j++;
    if (j === want.length) out.push(i);
  }
  return out;
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

function hunkHeader(h: StructuredPatchHunk): string {
  return `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`;
}

/** Why a hunk fits nowhere: the first of its lines that the solution has not at the hunk's place. */
function mismatch(source: string, h: StructuredPatchHunk): string {
  const lines = source.split('\n');
  const want = oldSide(h);
  const start = Math.max(0, h.oldStart - 1);
  for (let j = 0; j < want.length; j++) {
    if (stripCr(lines[start + j] ?? '') !== stripCr(want[j]!)) {
      return `expects ${JSON.stringify(want[j]!.trim())} at line ${start + j + 1}, where the solution has ${lines[start + j] === undefined ? 'no line' : JSON.stringify(lines[start + j]!.trim())}, and its lines occur nowhere else`;
    }
  }
  return 'fits nowhere';
}
