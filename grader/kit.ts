// The kit version stamped on every result: the package version plus a hash of exactly what
// can change a mark (or what a result.json holds), and nothing else. Cached results are reused
// only for the same submission hash and the same kit version, so a change in any of these
// grades the class again, and a change anywhere else (a handout's typo, the look of the
// reports, the command line, the kit's own tests) does not:
//   - the dependencies as locked (package-lock.json): vitest, esbuild, typescript, zod run the grading;
//   - runtime/ and kernels/ (students' code runs on them), except their tests and docs;
//   - each exercise's manifest, modules (protocol.ts…) and tests, not its handout or mutants;
//   - the grader's intake, prepare, run, scoring, schema, redaction and grading code, and the
//     type checker's options (typecheck.ts).
// Reports are rendered again from result.json at every run, so their code is not part of it.
// Paths are taken relative to the kit: where the kit was cloned never matters.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const kitRoot = fileURLToPath(new URL('..', import.meta.url));

/** Whether a file (relative to the kit, '/'-separated) can change a mark. */
export function decidesMarks(rel: string): boolean {
  const parts = rel.split('/');
  const [top] = parts;
  if (rel === 'package.json' || rel === 'package-lock.json') return true;
  if (!/\.(ts|mts|mjs|js|json)$/.test(rel)) return false;
  if (top === 'runtime' || top === 'kernels') return !parts.includes('test') && rel !== 'runtime/demo.ts';
  if (top === 'exercises') {
    if (parts.length === 2) return false;
    const [, , second] = parts;
    if (parts.length === 3) return second === 'manifest.json' || second!.endsWith('.ts');
    return second === 'tests';
  }
  if (top === 'grader') {
    return (
      /^grader\/(intake|prepare|run)\//.test(rel) ||
      [
        'grader/grade.ts',
        'grader/score.ts',
        'grader/result.ts',
        'grader/redact.ts',
        'grader/kit.ts',
        'grader/typecheck.ts',
        'grader/exercise-tests.ts',
        'grader/files.ts',
      ].includes(rel)
    );
  }
  return false;
}

let cached: string | undefined;

export function kitVersion(root = kitRoot): string {
  if (cached && root === kitRoot) return cached;
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const hash = createHash('sha256');
  for (const file of markFiles(root)) {
    hash.update(file);
    hash.update('\0');
    // package.json: only what it says about the kit's running, not its scripts or description.
    hash.update(file === 'package.json' ? JSON.stringify(pick(pkg, ['version', 'dependencies', 'imports', 'engines'])) : readFileSync(join(root, file)));
    hash.update('\0');
  }
  const version = `${pkg.version}+${hash.digest('hex').slice(0, 12)}`;
  if (root === kitRoot) cached = version;
  return version;
}

/** Every file of the kit that can change a mark, relative and sorted. */
export function markFiles(root = kitRoot): string[] {
  const out: string[] = [];
  for (const top of ['package.json', 'package-lock.json', 'runtime', 'kernels', 'exercises', 'grader']) {
    for (const file of walk(root, join(root, top))) if (decidesMarks(file)) out.push(file);
  }
  return out.sort();
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}

function* walk(root: string, path: string): Generator<string> {
  let st;
  try {
    st = statSync(path);
  } catch {
    return; // missing (a kit without a lock file)
  }
  if (st.isFile()) {
    yield relative(root, path).split(sep).join('/');
    return;
  }
  for (const e of readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const full = join(path, e.name);
    if (e.isDirectory()) yield* walk(root, full);
    else if (e.isFile()) yield relative(root, full).split(sep).join('/');
  }
}
