// Turns a submission's entry file into the bundle file a kernel loads.
import { readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { bundleSubmission, type BundleError } from '../loader/bundle.ts';

export type Prepared = { ok: true; bundle: string } | { ok: false; errors: BundleError[] };

/**
 * Reads submission files by relative path from `root`, never outside it; with `only`, just
 * those files (the manifest's: what the grader takes), so a local run sees what grading sees.
 */
export function folderReader(root: string, only?: readonly string[]): (path: string) => string | undefined {
  const base = resolve(root);
  const allowed = only ? new Set(only) : undefined;
  return (path) => {
    if (allowed && !allowed.has(path)) return undefined;
    const full = resolve(base, path);
    if (!full.startsWith(base + sep)) return undefined;
    try {
      return statSync(full).isFile() ? readFileSync(full, 'utf8') : undefined;
    } catch {
      return undefined;
    }
  };
}

/**
 * Bundles `entry` (inside `root`) into `outDir/submission.mjs`, world-readable so that the
 * sandbox's unprivileged uid can load it. Syntax errors and refused imports come back as
 * file:line:column messages relative to `root`. For a student's own machine and the kit's
 * tools; the grader bundles from the files intake took (grader/prepare).
 */
export async function prepareBundle(entry: string, root: string, outDir: string, only?: readonly string[]): Promise<Prepared> {
  const result = await bundleSubmission({ entry: relative(root, entry).split(sep).join('/'), read: folderReader(root, only) });
  if (!result.ok) return result;
  await mkdir(outDir, { recursive: true, mode: 0o755 });
  await chmod(outDir, 0o755);
  const bundle = join(outDir, 'submission.mjs');
  await writeFile(bundle, result.code, { mode: 0o644 });
  return { ok: true, bundle };
}
