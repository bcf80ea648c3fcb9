// Type-checks a student's files with the TypeScript compiler, against the kit's runtime and
// the exercise protocols, with the same options as the student pack's own check. Type errors
// are reported (file:line:column and the compiler's message); they do not stop the tests
// (code that parses still runs). The library and kit files are parsed once per grader run
// and reused for every submission.
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { compilerOptions } from '../pack/tools/typecheck.ts';
import type { Diagnostic } from '../result.ts';

const kitRoot = fileURLToPath(new URL('../..', import.meta.url));

const options: ts.CompilerOptions = compilerOptions(kitRoot);

const shared = new Map<string, ts.SourceFile>();
let previous: ts.Program | undefined;

function host(studentRoot: string): ts.CompilerHost {
  const base = ts.createCompilerHost(options, true);
  return {
    ...base,
    getCurrentDirectory: () => kitRoot,
    getSourceFile(fileName, languageVersion, onError) {
      const isStudent = !relative(studentRoot, fileName).startsWith('..');
      if (!isStudent) {
        const cached = shared.get(fileName);
        if (cached) return cached;
      }
      const sf = base.getSourceFile(fileName, languageVersion, onError);
      if (sf && !isStudent) shared.set(fileName, sf);
      return sf;
    },
  };
}

/** Diagnostics for the student's `files` (paths relative to `root`); kit files are not reported. */
export function typecheck(root: string, files: readonly string[]): Diagnostic[] {
  const absRoot = resolve(root);
  const rootNames = files.map((f) => join(absRoot, f));
  const program = ts.createProgram({ rootNames, options, host: host(absRoot), oldProgram: previous });
  previous = program;
  const out: Diagnostic[] = [];
  for (const sf of program.getSourceFiles()) {
    if (relative(absRoot, sf.fileName).startsWith('..')) continue;
    const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    for (const d of diagnostics) {
      const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
      out.push({
        file: relative(absRoot, sf.fileName).split('\\').join('/'),
        line: pos.line + 1,
        column: pos.character + 1,
        message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
      });
    }
  }
  return out;
}

export const typecheckRoot = dirname(kitRoot);
