// Student code is bundled into one ES module before it is loaded: esbuild strips the types
// (type errors are the grader's separate type-check), inlines the student's own files and
// the exercise protocol, and points '#runtime' and 'zod' at the host's shared copies. One
// file means a fresh module instance is one import with a new query string, so module-level
// state never leaks between systems or kernels.
import { join } from 'node:path';
import { build, type Message, type Plugin } from 'esbuild';
import { exercisesDir } from '../../exercises/manifest.ts';
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
  /** The student's entry file (absolute path). */
  readonly entry: string;
  /** Paths in messages are made relative to this folder (the submission root). */
  readonly root: string;
}

/** Import specifiers served from the host (everything else must be the student's own files or kit files). */
function sharedModulesPlugin(): Plugin {
  const names = sharedModules();
  return {
    name: 'shared-modules',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => (Object.hasOwn(names, args.path) ? { path: args.path, namespace: 'shared' } : undefined));
      // Exercise protocols are kit files, found wherever the submission sits.
      b.onResolve({ filter: /^#exercises\/[a-z0-9-]+\/[\w-]+$/ }, (args) => ({ path: join(exercisesDir, `${args.path.slice('#exercises/'.length)}.ts`) }));
      b.onLoad({ filter: /.*/, namespace: 'shared' }, (args) => {
        const exportsOf = Object.keys(names[args.path] ?? {}).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
        const lines = [`const m = globalThis[Symbol.for(${JSON.stringify(SHARED_MODULES.description)})][${JSON.stringify(args.path)}];`];
        for (const k of exportsOf) lines.push(`export const ${k} = m.${k};`);
        if (args.path === 'zod') lines.push('export default m.z ?? m;');
        return { contents: lines.join('\n'), loader: 'js' };
      });
    },
  };
}

export async function bundleSubmission(options: BundleOptions): Promise<BundleResult> {
  try {
    const result = await build({
      entryPoints: [options.entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      mainFields: ['module', 'main'],
      conditions: ['import'],
      sourcemap: 'inline',
      sourceRoot: options.root,
      banner: { js: PRELUDE },
      logLevel: 'silent',
      absWorkingDir: options.root,
      plugins: [sharedModulesPlugin()],
    });
    return { ok: true, code: result.outputFiles[0]!.text };
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    if (!errors) throw err;
    return { ok: false, errors: errors.map((e) => toBundleError(e, options.root)) };
  }
}

function toBundleError(e: Message, root: string): BundleError {
  const file = e.location?.file ?? '';
  const rel = file.startsWith(root) ? file.slice(root.length).replace(/^[/\\]/, '') : file;
  return { file: rel, line: e.location?.line ?? 0, column: (e.location?.column ?? 0) + 1, message: e.text };
}
