// Kernel programs (the process-kernel child, the worker-kernel thread) run as one
// pre-built JavaScript file each: Node starts it in ~100 ms, against ~450 ms through a
// TypeScript loader, and the sandbox's fallback path cannot use loader hooks at all.
// Built once per process into a private folder of its own (mode 0711: a sandbox's uid can
// run the file by its name, nobody else can list or change it), never at a shared path that
// another local user could have filled first.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { privateDir } from '../process/private-dir.ts';

const builds = new Map<string, Promise<string>>();
let folder: string | undefined;

export interface PrebuildOptions {
  /**
   * Inline a source map (default true). Node parses it at every start when source maps are
   * on: the process kernel (which starts once per submission) goes without, since the
   * frames it would map are the kit's own and never reach a student.
   */
  readonly sourcemap?: boolean;
}

/** Path of the bundled `entry` (an absolute .ts path), built on first use. */
export function prebuilt(entry: string, name: string, options: PrebuildOptions = {}): Promise<string> {
  let done = builds.get(entry);
  if (!done) builds.set(entry, (done = buildOnce(entry, name, options.sourcemap ?? true)));
  return done;
}

async function buildOnce(entry: string, name: string, sourcemap: boolean): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: sourcemap ? 'inline' : false,
    logLevel: 'silent',
    // Bundled CommonJS dependencies may call require(): give the ES module one.
    banner: { js: "import { createRequire as __mpRequire } from 'node:module'; const require = __mpRequire(import.meta.url);" },
  });
  folder ??= privateDir('mp-kit-', 0o711);
  const file = join(folder, `${name}.mjs`);
  writeFileSync(file, result.outputFiles[0]!.text, { mode: 0o644, flag: 'wx' });
  return file;
}
