// From a submission to something the tests can run, one exercise at a time: was it
// submitted at all; its bundle (made in the prepare pool's workers, bounded), written into the
// student's private workspace, readable by the student's kernels alone; and its type check,
// whose diagnostics go at the top of the report (and, where the manifest says
// `typeErrors: "fail"`, decide that the exercise does not compile). The grading pipeline
// (run/pipeline.ts) calls these steps in that order.
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../../kernels/harness/manifest.ts';
import { intake, type IntakeResult, type SubmissionSource, type WantedFiles } from '../intake/index.ts';
import type { Diagnostic } from '../result.ts';
import type { PrepareOutcome } from './pool.ts';

export interface PreparedExercise {
  readonly id: string;
  /**
   * `ready`: a bundle to test; `missing`: not submitted; `unreadable`: the submission could not
   * be read (a corrupt archive, a bomb); `compile-error`: does not compile, has type errors under
   * `typeErrors: "fail"`, or exhausted a prepare budget (see reason); `error`: the grading
   * machinery failed.
   */
  readonly status: 'ready' | 'missing' | 'unreadable' | 'compile-error' | 'error';
  readonly reason?: string;
  readonly bundle?: string;
  readonly diagnostics: Diagnostic[];
  /** How many of `diagnostics` are type errors (as opposed to syntax errors and refused imports). */
  readonly typeErrors?: number;
}

export function wantedFiles(manifests: readonly Manifest[]): WantedFiles {
  return { files: [...new Set(manifests.flatMap((m) => m.files))], optional: ['REFLECTION.md', 'progress.jsonl'] };
}

/** Takes the submission's wanted files (never throws for a bad submission: see IntakeResult.fatal). */
export function takeSubmission(src: SubmissionSource, manifests: readonly Manifest[]): Promise<IntakeResult> {
  return intake(src, wantedFiles(manifests));
}

/** The exercise is not there to test (unreadable submission, files missing), or undefined. */
export function notSubmitted(m: Manifest, taken: IntakeResult): PreparedExercise | undefined {
  if (taken.fatal) return { id: m.id, status: 'unreadable', reason: `the submission could not be read: ${taken.fatal}`, diagnostics: [] };
  const missing = m.files.filter((f) => !(f in taken.files));
  if (missing.length === m.files.length) {
    return { id: m.id, status: 'missing', reason: `not submitted (expected ${m.files.join(', ')})`, diagnostics: [] };
  }
  if (missing.length > 0) {
    return { id: m.id, status: 'missing', reason: `missing file${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`, diagnostics: [] };
  }
  return undefined;
}

/** What a bundle job means for the exercise: `ready` (its bundle still to be written), or why not. */
export function bundleOutcome(m: Manifest, outcome: PrepareOutcome): PreparedExercise {
  if (outcome.kind === 'limit') return { id: m.id, status: 'compile-error', reason: outcome.note, diagnostics: [] };
  if (outcome.kind === 'infrastructure') return { id: m.id, status: 'error', reason: outcome.note, diagnostics: [] };
  if (outcome.errors) {
    const errors = outcome.errors.map((e) => ({ file: e.file, line: e.line, column: e.column, message: e.message }));
    return {
      id: m.id,
      status: 'compile-error',
      reason: `your code does not compile: ${errors
        .slice(0, 3)
        .map((e) => `${e.file}:${e.line}:${e.column} ${e.message}`)
        .join('; ')}`,
      diagnostics: errors,
    };
  }
  return { id: m.id, status: 'ready', diagnostics: [] };
}

/** Writes the bundle where only the student's kernels (their uid) can read it; returns its path. */
export async function writeBundle(workspace: string, exercise: string, code: string, uid: number | undefined): Promise<string> {
  const dir = join(workspace, exercise);
  await mkdir(dir, { mode: 0o700 });
  const bundle = join(dir, 'submission.mjs');
  await writeFile(bundle, code, { mode: 0o600 });
  if (uid !== undefined) {
    await chown(dir, uid, uid);
    await chown(bundle, uid, uid);
  }
  return bundle;
}

/**
 * The exercise with its type check's diagnostics added (idempotent). A type check that runs
 * over its budget makes the exercise not compile, whatever the policy (code the checker cannot
 * finish is not accepted); a type checker that failed is a grading error; under
 * `typeErrors: "fail"`, type errors make a ready exercise not compile.
 */
export function typeCheckOutcome(m: Manifest, prepared: PreparedExercise, checked: PrepareOutcome): PreparedExercise {
  if (checked.kind === 'infrastructure') {
    return prepared.status === 'error' ? prepared : { ...prepared, status: 'error', reason: checked.note, bundle: undefined };
  }
  if (checked.kind === 'limit') {
    return prepared.status === 'error' ? prepared : { ...prepared, status: 'compile-error', reason: checked.note, bundle: undefined };
  }
  const diagnostics = mergeDiagnostics(
    prepared.diagnostics,
    checked.diagnostics.map(({ kind: _kind, ...d }) => d),
  );
  const typeErrors = checked.diagnostics.filter((d) => d.kind === 'type').length;
  if (prepared.status === 'ready' && m.typeErrors === 'fail' && checked.diagnostics.length > 0) {
    const first = checked.diagnostics
      .slice(0, 3)
      .map((d) => `${d.file}:${d.line}:${d.column} ${d.message.split('\n')[0]}`)
      .join('; ');
    return {
      ...prepared,
      status: 'compile-error',
      bundle: undefined,
      reason: `your code has ${checked.diagnostics.length === 1 ? 'a type error' : `${checked.diagnostics.length} type errors`}, and this exercise counts code with type errors as not compiling: ${first}`,
      diagnostics,
      typeErrors,
    };
  }
  return { ...prepared, diagnostics, typeErrors };
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
