// From a submission to something the tests can run: take the wanted files (intake), write
// them to a workspace, and for each exercise type-check and bundle the student's code.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../../exercises/manifest.ts';
import { prepareBundle } from '../../kernels/harness/bundle-file.ts';
import { intake, writeWorkspace, type IntakeResult, type SubmissionSource, type WantedFiles } from '../intake/index.ts';
import type { Diagnostic } from '../result.ts';
import { typecheck } from './typecheck.ts';

export interface PreparedExercise {
  readonly id: string;
  readonly status: 'ready' | 'missing' | 'compile-error';
  readonly reason?: string;
  readonly bundle?: string;
  readonly diagnostics: Diagnostic[];
}

export interface PreparedSubmission {
  readonly student: string;
  readonly intake: IntakeResult;
  readonly exercises: Record<string, PreparedExercise>;
}

export function wantedFiles(manifests: readonly Manifest[]): WantedFiles {
  return { files: [...new Set(manifests.flatMap((m) => m.files))], optional: ['REFLECTION.md', 'progress.jsonl'] };
}

/** Takes the submission's wanted files (never throws for a bad submission: see IntakeResult.fatal). */
export function takeSubmission(src: SubmissionSource, manifests: readonly Manifest[]): Promise<IntakeResult> {
  return intake(src, wantedFiles(manifests));
}

export async function prepareSubmission(src: SubmissionSource, taken: IntakeResult, manifests: readonly Manifest[], workDir: string): Promise<PreparedSubmission> {
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true, mode: 0o755 });
  const files = join(workDir, 'files');
  await writeWorkspace(taken, files);
  const exercises: Record<string, PreparedExercise> = {};
  for (const m of manifests) {
    exercises[m.id] = await prepareExercise(m, taken, files, join(workDir, 'bundles', m.id));
  }
  return { student: src.student, intake: taken, exercises };
}

async function prepareExercise(m: Manifest, taken: IntakeResult, root: string, out: string): Promise<PreparedExercise> {
  if (taken.fatal) return { id: m.id, status: 'missing', reason: taken.fatal, diagnostics: [] };
  const missing = m.files.filter((f) => !(f in taken.files));
  if (missing.length === m.files.length) {
    return { id: m.id, status: 'missing', reason: `not submitted (expected ${m.files.join(', ')})`, diagnostics: [] };
  }
  if (missing.length > 0) {
    return { id: m.id, status: 'missing', reason: `missing file${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`, diagnostics: [] };
  }
  const diagnostics = typecheck(root, m.files);
  const bundled = await prepareBundle(join(root, m.entry), root, out);
  if (!bundled.ok) {
    const errors = bundled.errors.map((e) => ({ file: e.file, line: e.line, column: e.column, message: e.message }));
    return {
      id: m.id,
      status: 'compile-error',
      reason: `your code does not compile: ${errors.slice(0, 3).map((e) => `${e.file}:${e.line}:${e.column} ${e.message}`).join('; ')}`,
      diagnostics: mergeDiagnostics(errors, diagnostics),
    };
  }
  return { id: m.id, status: 'ready', bundle: bundled.bundle, diagnostics };
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
