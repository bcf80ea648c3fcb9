// The type check of the grader's prepare stage, which the student pack's `npm test` and `npm run check`
// print before any test output too: the student's files checked with the TypeScript compiler,
// with the grader's options, against the kit's (or the pack's) runtime and protocols. Type errors are reported, not fatal: code that parses still
// runs, as in the grader. Syntax errors are reported as such.
//
// The compiler sees a closed world: the student's files (given as text, under a virtual
// folder) and, from the kit, the runtime, the exercises' top-level modules and the type
// definitions of zod and the standard library. A `/// <reference path>` or an import of
// anything else (a hidden test, another student's file, /etc/passwd) is simply not found,
// so nothing outside that world can surface in a diagnostic.
import { readFileSync, statSync } from 'node:fs';
import { join, posix, relative, resolve, sep } from 'node:path';
import { typescript, type TS } from '../kernels/loader/typescript.ts';
import { fileURLToPath } from 'node:url';
import { escapeRegExp } from './files.ts';
import type { Diagnostic } from './result.ts';

const ts = typescript();

/** The kit's root (the pack's, in a student pack: it ships this file at the same path). */
const packRoot = fileURLToPath(new URL('..', import.meta.url));

export interface CheckedDiagnostic extends Diagnostic {
  readonly kind: 'syntax' | 'type';
}

/** Where the student's files appear to the compiler: a folder that exists on no disk. */
const SUBMISSION = '/__submission__';

/**
 * The globals a kernel gives student code beyond the standard library: console (its output is
 * shown with the test's result). Declared here so that `console.log` type-checks as it runs.
 */
const KERNEL_GLOBALS = '/__kernel__/globals.d.ts';
const KERNEL_GLOBALS_TEXT = `interface Console {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  debug(...data: unknown[]): void;
  trace(...data: unknown[]): void;
  table(data: unknown, columns?: string[]): void;
  dir(item?: unknown, options?: unknown): void;
}
declare var console: Console;
`;

/** The compiler options student code is checked with, here and by the grader. */
export function compilerOptions(kitRoot: string): TS.CompilerOptions {
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

/** Kit files the compiler may read: the runtime, exercise modules, zod's and the standard library's types. */
function kitReadable(kitRoot: string, tsLib: string): (file: string) => boolean {
  const root = resolve(kitRoot);
  return (file) => {
    if (file.startsWith(tsLib + sep)) return true;
    const rel = relative(root, file).split(sep).join('/');
    if (rel.startsWith('..') || posix.isAbsolute(rel)) return false;
    if (rel === 'package.json' || rel.startsWith('node_modules/zod/')) return true;
    if (rel.startsWith('runtime/')) return !rel.startsWith('runtime/test/');
    return /^exercises\/[a-z0-9-]+\/[\w-]+\.ts$/.test(rel);
  };
}

// Kit files (runtime, protocols, libraries) are parsed once per process: watch mode reruns,
// and the grader's prepare workers, re-read only the student's files.
const shared = new Map<string, TS.SourceFile>();
let kernelGlobals: TS.SourceFile | undefined;
let previous: TS.Program | undefined;

/**
 * Diagnostics for the student's `files` (paths relative to the submission), given as text by
 * `read`; positions 1-based. `read` answers only for files of the submission.
 */
export function typecheckSources(read: (path: string) => string | undefined, files: readonly string[], kitRoot = packRoot): CheckedDiagnostic[] {
  const present = files.filter((f) => read(f) !== undefined);
  if (present.length === 0) return [];
  const options = compilerOptions(kitRoot);
  const base = ts.createCompilerHost(options, true);
  const tsLib = resolve(base.getDefaultLibLocation!());
  const inKit = kitReadable(kitRoot, tsLib);
  const studentPath = (file: string): string | undefined => {
    const f = file.split(sep).join('/');
    return f.startsWith(`${SUBMISSION}/`) ? posix.normalize(f.slice(SUBMISSION.length + 1)) : undefined;
  };
  const exists = (file: string): boolean => {
    if (file === KERNEL_GLOBALS) return true;
    const mine = studentPath(file);
    if (mine !== undefined) return read(mine) !== undefined;
    if (!inKit(file)) return false;
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  const host: TS.CompilerHost = {
    ...base,
    getCurrentDirectory: () => kitRoot,
    fileExists: exists,
    readFile: (file) => {
      if (file === KERNEL_GLOBALS) return KERNEL_GLOBALS_TEXT;
      const mine = studentPath(file);
      if (mine !== undefined) return read(mine);
      return inKit(file) && exists(file) ? readFileSync(file, 'utf8') : undefined;
    },
    // Folders answer for themselves (their existence gives nothing away): only files are closed.
    directoryExists: (dir) => {
      if (dir === SUBMISSION || dir.startsWith(`${SUBMISSION}/`)) return true;
      const within = (r: string) => dir === r || dir.startsWith(r + sep);
      if (!within(resolve(kitRoot)) && !within(tsLib)) return false;
      try {
        return statSync(dir).isDirectory();
      } catch {
        return false;
      }
    },
    getDirectories: () => [],
    realpath: (p) => p,
    getSourceFile(fileName, languageVersion, onError) {
      if (fileName === KERNEL_GLOBALS) return (kernelGlobals ??= ts.createSourceFile(KERNEL_GLOBALS, KERNEL_GLOBALS_TEXT, languageVersion, true));
      const mine = studentPath(fileName);
      if (mine !== undefined) {
        const text = read(mine);
        return text === undefined ? undefined : ts.createSourceFile(fileName, text, languageVersion, true);
      }
      if (!inKit(fileName)) return undefined;
      const cached = shared.get(fileName);
      if (cached) return cached;
      const sf = base.getSourceFile(fileName, languageVersion, onError);
      if (sf) shared.set(fileName, sf);
      return sf;
    },
  };
  const kitPath = new RegExp(`(^|['"\\s(])${escapeRegExp(resolve(kitRoot) + sep)}`, 'g');
  const program = ts.createProgram({ rootNames: [KERNEL_GLOBALS, ...present.map((f) => `${SUBMISSION}/${f}`)], options, host, oldProgram: previous });
  previous = program;
  const out: CheckedDiagnostic[] = [];
  for (const sf of program.getSourceFiles()) {
    const mine = studentPath(sf.fileName);
    if (mine === undefined) continue;
    const syntax = program.getSyntacticDiagnostics(sf);
    const semantic = program.getSemanticDiagnostics(sf);
    for (const [kind, list] of [
      ['syntax', syntax],
      ['type', semantic],
    ] as const) {
      for (const d of list) {
        const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
        out.push({
          kind,
          file: mine,
          line: pos.line + 1,
          column: pos.character + 1,
          // Paths as the student knows them: their own files relative, the kit's relative to the kit.
          message: ts.flattenDiagnosticMessageText(d.messageText, '\n').replaceAll(`${SUBMISSION}/`, '').replace(kitPath, '$1'),
        });
      }
    }
  }
  return out;
}

/** Diagnostics for the student's `files` (relative to `root`, read from disk) that exist. */
export function typecheckFiles(root: string, files: readonly string[], kitRoot = packRoot): CheckedDiagnostic[] {
  const base = resolve(root);
  return typecheckSources(
    (path) => {
      if (!files.includes(path)) return undefined;
      try {
        return readFileSync(join(base, path), 'utf8');
      } catch {
        return undefined;
      }
    },
    files,
    kitRoot,
  );
}

/**
 * `ring/ring.ts:12:5  syntax error: …` lines (continuation lines indented). A file with a
 * syntax error shows only those: the type errors that follow from it would be noise.
 */
export function formatDiagnostics(diagnostics: readonly CheckedDiagnostic[]): string[] {
  const broken = new Set(diagnostics.filter((d) => d.kind === 'syntax').map((d) => d.file));
  return diagnostics
    .filter((d) => d.kind === 'syntax' || !broken.has(d.file))
    .map((d) => {
      const [first, ...rest] = d.message.split('\n');
      return [`${d.file}:${d.line}:${d.column}  ${d.kind} error: ${first}`, ...rest.map((l) => `      ${l.trim()}`)].join('\n');
    });
}
