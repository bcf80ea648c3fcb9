// Student code is bundled into one ES module before it is loaded: esbuild strips the types
// (type errors are the grader's separate type-check), inlines the student's own files and
// the exercise's kit modules, and points '#runtime' and 'zod' at the host's shared copies.
// One file means a fresh module instance is one import with a new query string, so
// module-level state never leaks between systems or kernels.
//
// Bundling runs on the trusted side, so it reads nothing but what the submission may use.
// Every import is resolved here, never by esbuild's own file-system lookup:
//  - the student's files come from the `read` function the caller gives (the grader: the
//    files intake took, in memory), and an import that leaves the submission is refused;
//  - '#exercises/<id>/<name>' is a top-level file of an exercise folder (protocol.ts,
//    parse.ts), read from the kit; tests, solutions and mutants are out of reach;
//  - node's built-in modules and anything else are refused.
// esbuild expands a non-literal `import(`./x/${y}`)` by scanning the disk itself, past any
// plugin; so each file is parsed first, and such imports (and non-literal require calls) are
// refused before esbuild sees the file.
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Message, type OnLoadResult, type PartialMessage, type Plugin } from 'esbuild';
import { typescript, type TS } from './typescript.ts';
import { SHARED_MODULES, sharedModules } from './shared-modules.ts';
import { PRELUDE } from './virtual-globals.ts';

export interface BundleError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export type BundleResult = { ok: true; code: string } | { ok: false; errors: BundleError[] };

export interface BundleOptions {
  /** The student's entry file, relative to the submission root ('ring/ring.ts'). */
  readonly entry: string;
  /** The text of a submission file by its relative path ('ring/ring.ts'), or undefined if there is none. */
  readonly read: (path: string) => string | undefined;
}

const STUDENT = 'student';
const KIT = 'kit';
const SHARED = 'shared';
const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.js': 'js', '.mjs': 'js' } as const;
// A path, not an import of the harness's manifest module: the loader sits below the harness.
const exercisesDir = fileURLToPath(new URL('../../exercises', import.meta.url));

const ALLOWED = "only your own submitted files, '#runtime', 'zod' and the exercise modules ('#exercises/<exercise>/protocol') can be imported";

/** `#exercises/<id>/<name>` → the kit file, if it is a top-level module of an exercise. */
function kitModule(spec: string): string | undefined {
  const m = /^#exercises\/([a-z0-9-]+)\/([\w-]+)$/.exec(spec);
  if (!m) return undefined;
  const file = join(exercisesDir, m[1]!, `${m[2]}.ts`);
  return existsSync(file) ? file : undefined;
}

/** The submission file a relative import names: exact, with a TS extension, or the .ts behind a .js. */
function studentFile(path: string, read: BundleOptions['read']): string | undefined {
  const candidates = [path, `${path}.ts`, `${path}.mts`, `${path}.js`, posix.join(path, 'index.ts')];
  if (/\.m?js$/.test(path)) candidates.unshift(path.replace(/\.(m?)js$/, '.$1ts'));
  return candidates.find((c) => Object.hasOwn(LOADERS, posix.extname(c)) && read(c) !== undefined);
}

function isBuiltin(spec: string): boolean {
  return spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!);
}

/**
 * Imports whose target is computed at run time: `import(x)`, `import(`./${x}`)`, `require(x)`.
 * esbuild would answer them by scanning the file system; they are refused instead.
 */
export function computedImports(file: string, text: string): PartialMessage[] {
  const ts = typescript();
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.ts') || file.endsWith('.mts') ? ts.ScriptKind.TS : ts.ScriptKind.JS);
  const found: PartialMessage[] = [];
  const literal = (n: TS.Node | undefined): boolean => n !== undefined && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n));
  const visit = (n: TS.Node): void => {
    if (ts.isCallExpression(n)) {
      const callee = n.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire =
        (ts.isIdentifier(callee) && callee.text === 'require') ||
        (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'require');
      if ((isImport || isRequire) && !(n.arguments.length >= 1 && literal(n.arguments[0]))) {
        const pos = sf.getLineAndCharacterOfPosition(n.getStart(sf));
        found.push({
          text: `${isImport ? 'import()' : 'require()'} with a path computed at run time is not allowed: write the path as a plain string`,
          location: { file, line: pos.line + 1, column: pos.character, lineText: text.split('\n')[pos.line] ?? '' },
        });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

function resolverPlugin(read: BundleOptions['read']): Plugin {
  const shared = sharedModules();
  return {
    name: 'submission-only',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        // esbuild writes an entry point that exists under its working folder as './path'.
        if (args.kind === 'entry-point') return { path: posix.normalize(args.path), namespace: STUDENT };
        if (Object.hasOwn(shared, args.path)) return { path: args.path, namespace: SHARED };
        const kit = kitModule(args.path);
        if (kit) return { path: kit, namespace: KIT };
        if (args.path.startsWith('./') || args.path.startsWith('../')) {
          if (args.namespace === KIT) {
            // A kit module's own sibling (parse.ts imports './protocol.ts').
            const sibling = join(args.resolveDir, args.path);
            if (posix.dirname(sibling) === args.resolveDir && existsSync(sibling)) return { path: sibling, namespace: KIT };
            return { errors: [{ text: `the kit module cannot import ${args.path}` }] };
          }
          const target = posix.normalize(posix.join(posix.dirname(args.importer), args.path));
          if (target.startsWith('../') || target === '..') {
            return { errors: [{ text: `cannot import "${args.path}": it leaves your submission (${ALLOWED})` }] };
          }
          const file = studentFile(target, read);
          if (file) return { path: file, namespace: STUDENT };
          return { errors: [{ text: `cannot import "${args.path}": no such file among your submitted files (${ALLOWED})` }] };
        }
        if (isBuiltin(args.path)) {
          return { errors: [{ text: `cannot import "${args.path}": node's built-in modules are not available to actors (they talk only by messages)` }] };
        }
        return { errors: [{ text: `cannot import "${args.path}": ${ALLOWED}` }] };
      });
      b.onLoad({ filter: /.*/, namespace: STUDENT }, (args): OnLoadResult => {
        const text = read(args.path);
        if (text === undefined) return { errors: [{ text: `${args.path} is not among your submitted files` }] };
        const computed = computedImports(args.path, text);
        if (computed.length > 0) return { errors: computed };
        return { contents: text, loader: LOADERS[posix.extname(args.path) as keyof typeof LOADERS] ?? 'ts' };
      });
      b.onLoad(
        { filter: /.*/, namespace: KIT },
        (args): OnLoadResult => ({
          contents: readFileSync(args.path, 'utf8'),
          loader: 'ts',
          resolveDir: posix.dirname(args.path),
        }),
      );
      b.onLoad({ filter: /.*/, namespace: SHARED }, (args) => {
        const exportsOf = Object.keys(shared[args.path] ?? {}).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
        const lines = [`const m = globalThis[Symbol.for(${JSON.stringify(SHARED_MODULES.description)})][${JSON.stringify(args.path)}];`];
        // `export { x as name }`: a name may be a reserved word (zod exports `catch`).
        exportsOf.forEach((k, i) => lines.push(`const e${i} = m[${JSON.stringify(k)}];`, `export { e${i} as ${k} };`));
        if (args.path === 'zod') lines.push('export default m.z ?? m;');
        return { contents: lines.join('\n'), loader: 'js' };
      });
    },
  };
}

export async function bundleSubmission(options: BundleOptions): Promise<BundleResult> {
  try {
    const result = await build({
      entryPoints: [posix.normalize(options.entry)],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      sourcemap: 'inline',
      banner: { js: PRELUDE },
      logLevel: 'silent',
      // Nothing is looked up on disk: no tsconfig, no package.json, no node_modules.
      tsconfigRaw: {},
      metafile: true,
      plugins: [resolverPlugin(options.read)],
    });
    // A second line of defence: every input came through the resolver above.
    const strays = Object.keys(result.metafile.inputs).filter((i) => !/^(student|kit|shared):/.test(i));
    if (strays.length > 0) {
      return {
        ok: false,
        errors: [{ file: options.entry, line: 0, column: 0, message: `the bundle would include files outside your submission (${strays.length}); refused` }],
      };
    }
    return { ok: true, code: result.outputFiles[0]!.text };
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    if (!errors) throw err;
    return { ok: false, errors: errors.map(toBundleError) };
  }
}

function toBundleError(e: Message): BundleError {
  const file = (e.location?.file ?? '').replace(/^(student|kit|shared):/, '');
  return { file, line: e.location?.line ?? 0, column: (e.location?.column ?? 0) + 1, message: e.text };
}
