// Type-checks a student's files with the TypeScript compiler, against the kit's runtime and
// the exercise protocols: the student pack's own check (grader/pack/tools/typecheck.ts, same
// options, same cached compiler host), run against the kit. Type errors are reported
// (file:line:column and the compiler's message); they do not stop the tests (code that parses
// still runs). The library and kit files are parsed once per grader run and reused for every
// submission.
import { resolve } from 'node:path';
import { kitRoot } from '../kit.ts';
import { typecheckFiles } from '../pack/tools/typecheck.ts';
import type { Diagnostic } from '../result.ts';

/** Diagnostics for the student's `files` (paths relative to `root`); kit files are not reported. */
export function typecheck(root: string, files: readonly string[]): Diagnostic[] {
  return typecheckFiles(resolve(root), files, kitRoot).map(({ kind: _kind, ...d }) => d);
}
