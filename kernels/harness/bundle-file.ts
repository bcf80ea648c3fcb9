// Turns a submission's entry file into the bundle file a kernel loads.
import { mkdir, writeFile, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { bundleSubmission, type BundleError } from '../loader/bundle.ts';

export type Prepared = { ok: true; bundle: string } | { ok: false; errors: BundleError[] };

/**
 * Bundles `entry` (inside `root`) into `outDir/submission.mjs`, world-readable so that the
 * sandbox's unprivileged uid can load it. Syntax errors and unresolved imports come back as
 * file:line:column messages relative to `root`.
 */
export async function prepareBundle(entry: string, root: string, outDir: string): Promise<Prepared> {
  const result = await bundleSubmission({ entry, root });
  if (!result.ok) return result;
  await mkdir(outDir, { recursive: true, mode: 0o755 });
  await chmod(outDir, 0o755);
  const bundle = join(outDir, 'submission.mjs');
  await mkdir(dirname(bundle), { recursive: true });
  await writeFile(bundle, result.code, { mode: 0o644 });
  return { ok: true, bundle };
}
