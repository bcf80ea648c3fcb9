// The kit version stamped on every result: the package version plus a hash of everything
// that decides a grade (runtime, kernels, harness, exercises and their tests, grader).
// Cached results are reused only for the same submission hash and the same kit version.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const kitRoot = fileURLToPath(new URL('..', import.meta.url));

let cached: string | undefined;

export function kitVersion(): string {
  if (cached) return cached;
  const pkg = JSON.parse(readFileSync(join(kitRoot, 'package.json'), 'utf8')) as { version: string };
  const hash = createHash('sha256');
  for (const dir of ['runtime', 'kernels', 'exercises', 'grader', 'solutions']) {
    for (const file of walk(join(kitRoot, dir))) {
      hash.update(relative(kitRoot, file));
      hash.update(readFileSync(file));
    }
  }
  cached = `${pkg.version}+${hash.digest('hex').slice(0, 12)}`;
  return cached;
}

function* walk(dir: string): Generator<string> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) yield* walk(full);
    else if (e.isFile() && /\.(ts|json|hbs|md)$/.test(e.name) && !/\/test\//.test(full)) yield full;
  }
}
