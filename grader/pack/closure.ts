// What the pack must ship for its entry points to run: every kit file they import (found by
// esbuild, which follows the kit's package.json "imports" such as '#runtime'), the npm
// packages they import, programs that are built at run time from a path (a kernel's
// `resolve(here, 'child.ts')`) and folders read at run time (`new URL('./templates/', import.meta.url)`).
import { existsSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

export interface Closure {
  /** Kit files, relative to the kit root, '/'-separated, sorted. */
  readonly files: string[];
  /** Folders read at run time (shipped whole), relative to the kit root. */
  readonly folders: string[];
  /** npm package names imported. */
  readonly packages: string[];
}

const BUILT_FROM_PATH = /resolve\(\s*here\s*,\s*'([\w./-]+\.ts)'\s*\)/g;
const FOLDER_AT_RUN_TIME = /new URL\(\s*'(\.\/[\w./-]*\/)'\s*,\s*import\.meta\.url\s*\)/g;

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The closure of `entries` (paths relative to `kitRoot`). */
export async function importClosure(kitRoot: string, entries: readonly string[]): Promise<Closure> {
  const files = new Set<string>();
  const folders = new Set<string>();
  const packages = new Set<string>();
  const outdir = await mkdtemp(join(tmpdir(), 'mp-pack-closure-'));
  try {
    let pending = [...new Set(entries)];
    const done = new Set<string>();
    while (pending.length > 0) {
      for (const e of pending) done.add(e);
      const result = await build({
        entryPoints: pending.map((e) => join(kitRoot, e)),
        bundle: true,
        write: false,
        metafile: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        logLevel: 'silent',
        outdir,
        absWorkingDir: kitRoot,
      });
      const next = new Set<string>();
      for (const [input, meta] of Object.entries(result.metafile.inputs)) {
        const rel = relative(kitRoot, join(kitRoot, input)).split('\\').join('/');
        if (rel.startsWith('..') || rel.includes('node_modules/')) continue;
        files.add(rel);
        for (const imp of meta.imports) {
          if (imp.external && !isBuiltin(imp.path)) packages.add(packageName(imp.path));
        }
        const text = readFileSync(join(kitRoot, rel), 'utf8');
        for (const m of text.matchAll(BUILT_FROM_PATH)) {
          const target = relative(kitRoot, join(kitRoot, dirname(rel), m[1]!))
            .split('\\')
            .join('/');
          if (existsSync(join(kitRoot, target)) && !done.has(target)) next.add(target);
        }
        for (const m of text.matchAll(FOLDER_AT_RUN_TIME)) {
          const folder = relative(kitRoot, join(kitRoot, dirname(rel), m[1]!))
            .split('\\')
            .join('/');
          if (existsSync(join(kitRoot, folder))) folders.add(folder);
        }
      }
      pending = [...next];
    }
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
  return { files: [...files].sort(), folders: [...folders].sort(), packages: [...packages].sort() };
}
