// The type check `npm test` prints before any test output: the student's files checked with
// the TypeScript compiler, with the options the grader uses (grader/prepare/typecheck.ts),
// against the pack's runtime and protocols. Type errors are reported, not fatal: code that
// parses still runs, as in the grader. Syntax errors are reported as such.
import { join, relative } from 'node:path';
import ts from 'typescript';
import type { Diagnostic } from '../../result.ts';
import { isStudentFile, packRoot } from './local.ts';

export interface CheckedDiagnostic extends Diagnostic {
  readonly kind: 'syntax' | 'type';
}

/** The compiler options student code is checked with, here and by the grader (grader/prepare/typecheck.ts). */
export function compilerOptions(kitRoot: string): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts'],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    baseUrl: kitRoot,
    paths: {
      '#runtime': ['runtime/index.ts'],
      '#exercises/*': ['exercises/*.ts'],
      zod: ['node_modules/zod'],
    },
  };
}

// Kit files (runtime, protocols, libraries) are parsed once per process: watch mode reruns
// re-read only the student's files.
const shared = new Map<string, ts.SourceFile>();
let previous: ts.Program | undefined;

/** Diagnostics for the student's `files` (relative to `root`) that exist; positions 1-based. */
export function typecheckFiles(root: string, files: readonly string[], kitRoot = packRoot): CheckedDiagnostic[] {
  if (files.length === 0) return [];
  const options = compilerOptions(kitRoot);
  const base = ts.createCompilerHost(options, true);
  const host: ts.CompilerHost = {
    ...base,
    getCurrentDirectory: () => kitRoot,
    getSourceFile(fileName, languageVersion, onError) {
      const mine = isStudentFile(fileName, root);
      if (!mine) {
        const cached = shared.get(fileName);
        if (cached) return cached;
      }
      const sf = base.getSourceFile(fileName, languageVersion, onError);
      if (sf && !mine) shared.set(fileName, sf);
      return sf;
    },
  };
  const program = ts.createProgram({ rootNames: files.map((f) => join(root, f)), options, host, oldProgram: previous });
  previous = program;
  const out: CheckedDiagnostic[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!isStudentFile(sf.fileName, root)) continue;
    const syntax = program.getSyntacticDiagnostics(sf);
    const semantic = program.getSemanticDiagnostics(sf);
    for (const [kind, list] of [['syntax', syntax], ['type', semantic]] as const) {
      for (const d of list) {
        const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
        out.push({
          kind,
          file: relative(root, sf.fileName).split('\\').join('/'),
          line: pos.line + 1,
          column: pos.character + 1,
          message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
        });
      }
    }
  }
  return out;
}

/**
 * `ring/ring.ts:12:5  syntax error: …` lines (continuation lines indented). A file with a
 * syntax error shows only those: the type errors that follow from it would be noise.
 */
export function formatDiagnostics(diagnostics: readonly CheckedDiagnostic[]): string[] {
  const broken = new Set(diagnostics.filter((d) => d.kind === 'syntax').map((d) => d.file));
  return diagnostics.filter((d) => d.kind === 'syntax' || !broken.has(d.file)).map((d) => {
    const [first, ...rest] = d.message.split('\n');
    return [`${d.file}:${d.line}:${d.column}  ${d.kind} error: ${first}`, ...rest.map((l) => `      ${l.trim()}`)].join('\n');
  });
}
