// From a submission to something the tests can run: for each exercise, type-check and bundle
// the student's files (in the prepare pool's workers, bounded), and write the bundle into the
// student's private workspace, readable by the student's kernels alone.
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../../exercises/manifest.ts';
import { intake, type IntakeResult, type SubmissionSource, type WantedFiles } from '../intake/index.ts';
import type { Diagnostic } from '../result.ts';
import type { PreparePool } from './pool.ts';

export interface PreparedExercise {
  readonly id: string;
  /**
   * `ready`: a bundle to test; `missing`: not submitted; `compile-error`: does not compile, or
   * exhausted the type-check budget (see reason); `error`: the grading machinery failed.
   */
  readonly status: 'ready' | 'missing' | 'compile-error' | 'error';
  readonly reason?: string;
  readonly bundle?: string;
  readonly diagnostics: Diagnostic[];
}

export interface PreparedSubmission {
  readonly student: string;
  readonly intake: IntakeResult;
  readonly exercises: Record<string, PreparedExercise>;
}

/** Where a submission's bundles go, and who may read them. */
export interface Workspace {
  /** A folder of this student's own (mode 0700). */
  readonly dir: string;
  /** The uid of the student's kernels: the workspace is theirs. Undefined when not switching uids. */
  readonly uid?: number;
}

export function wantedFiles(manifests: readonly Manifest[]): WantedFiles {
  return { files: [...new Set(manifests.flatMap((m) => m.files))], optional: ['REFLECTION.md', 'progress.jsonl'] };
}

/** Takes the submission's wanted files (never throws for a bad submission: see IntakeResult.fatal). */
export function takeSubmission(src: SubmissionSource, manifests: readonly Manifest[]): Promise<IntakeResult> {
  return intake(src, wantedFiles(manifests));
}

export async function prepareSubmission(src: SubmissionSource, taken: IntakeResult, manifests: readonly Manifest[], workspace: Workspace, pool: PreparePool): Promise<PreparedSubmission> {
  const exercises: Record<string, PreparedExercise> = {};
  await Promise.all(manifests.map(async (m) => {
    exercises[m.id] = await prepareExercise(m, taken, workspace, pool);
  }));
  return { student: src.student, intake: taken, exercises };
}

async function prepareExercise(m: Manifest, taken: IntakeResult, workspace: Workspace, pool: PreparePool): Promise<PreparedExercise> {
  if (taken.fatal) return { id: m.id, status: 'missing', reason: taken.fatal, diagnostics: [] };
  const missing = m.files.filter((f) => !(f in taken.files));
  if (missing.length === m.files.length) {
    return { id: m.id, status: 'missing', reason: `not submitted (expected ${m.files.join(', ')})`, diagnostics: [] };
  }
  if (missing.length > 0) {
    return { id: m.id, status: 'missing', reason: `missing file${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`, diagnostics: [] };
  }
  const outcome = await pool.prepare({ entry: m.entry, files: m.files, texts: taken.files });
  if (outcome.kind === 'limit') return { id: m.id, status: 'compile-error', reason: outcome.note, diagnostics: [] };
  if (outcome.kind === 'infrastructure') return { id: m.id, status: 'error', reason: outcome.note, diagnostics: [] };
  const diagnostics = outcome.diagnostics.map(({ kind: _kind, ...d }) => d);
  if (outcome.errors) {
    const errors = outcome.errors.map((e) => ({ file: e.file, line: e.line, column: e.column, message: e.message }));
    return {
      id: m.id,
      status: 'compile-error',
      reason: `your code does not compile: ${errors.slice(0, 3).map((e) => `${e.file}:${e.line}:${e.column} ${e.message}`).join('; ')}`,
      diagnostics: mergeDiagnostics(errors, diagnostics),
    };
  }
  const dir = join(workspace.dir, m.id);
  await mkdir(dir, { mode: 0o700 });
  const bundle = join(dir, 'submission.mjs');
  await writeFile(bundle, outcome.code!, { mode: 0o600 });
  if (workspace.uid !== undefined) {
    await chown(dir, workspace.uid, workspace.uid);
    await chown(bundle, workspace.uid, workspace.uid);
  }
  return { id: m.id, status: 'ready', bundle, diagnostics };
}

function mergeDiagnostics(a: Diagnostic[], b: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return [...a, ...b].filter((d) => {
    const key = `${d.file}:${d.line}:${d.column}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
