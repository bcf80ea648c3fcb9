// A passing selftest, remembered by the content of everything that can change its verdict.
//
// selftest grades the reference solution, the starter and every mutant of an exercise under the
// manifest's seeds: deterministic runs (seeded scheduler, virtual time), so its verdict is a pure
// function of the kit's files, the locked dependencies and the Node that runs them. The suite
// remembers a verdict in which every row passed, under a key that hashes all of those; the same
// key later reuses it, and any change (a runtime or kernel file, the grader, a test, a mutant,
// a solution, the starter, a handout, the lock file, the Node version) runs it again.
// Failures are never remembered: a miss always runs in full.
//
// Where: MP_SELFTEST_CACHE names a folder (CI keeps one outside node_modules, which `npm ci`
// empties); MP_SELFTEST_CACHE=off runs every time; by default node_modules/.cache/mp-kit/selftest.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { kitRoot } from '../kit.ts';
import { selftest, type SelftestOptions, type SelftestReport } from '../selftest.ts';

/** The kit's own tests (not the exercises' tests/) never change a selftest verdict. */
function ownTest(rel: string): boolean {
  return /^(runtime|kernels|grader|bench)\/test\//.test(rel) || /^exercises\/[^/]+\/test\//.test(rel);
}

function* walk(path: string): Generator<string> {
  let st;
  try {
    st = statSync(path);
  } catch {
    return;
  }
  if (st.isFile()) {
    yield relative(kitRoot, path).split(sep).join('/');
    return;
  }
  if (!st.isDirectory()) return;
  // node_modules and dot-folders (.cache, .scratch: ignored by git) are no part of the kit.
  for (const name of readdirSync(path).sort()) if (name !== 'node_modules' && !name.startsWith('.')) yield* walk(join(path, name));
}

/** The files a selftest of the kit reads or runs, relative and sorted. */
export function selftestInputs(): string[] {
  const out: string[] = [];
  for (const top of ['package.json', 'package-lock.json', 'tsconfig.json', 'runtime', 'kernels', 'grader', 'exercises', 'solutions', 'starter']) {
    for (const rel of walk(join(kitRoot, top))) if (!ownTest(rel)) out.push(rel);
  }
  return out.sort();
}

/** The key of a selftest run: its options, the Node that runs it, and every input file's content. */
export function selftestKey(options: SelftestOptions): string {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify({
      v: 1,
      node: process.version,
      arch: process.arch,
      platform: process.platform,
      exercises: options.exercises ?? null,
      explore: options.explore ?? null,
      sandboxed: options.sandboxed ?? false,
    }),
  );
  for (const rel of selftestInputs()) {
    hash.update(`\0${rel}\0`);
    // package.json: what it says about running the kit (as kitVersion), not its scripts or description.
    if (rel === 'package.json') {
      const pkg = JSON.parse(readFileSync(join(kitRoot, rel), 'utf8')) as Record<string, unknown>;
      hash.update(JSON.stringify(['version', 'type', 'dependencies', 'devDependencies', 'imports', 'engines'].map((k) => [k, pkg[k] ?? null])));
    } else hash.update(readFileSync(join(kitRoot, rel)));
  }
  return hash.digest('hex');
}

function cacheDir(): string | undefined {
  const env = process.env.MP_SELFTEST_CACHE;
  if (env === 'off' || env === '0') return undefined;
  if (env) return isAbsolute(env) ? env : join(kitRoot, env);
  return join(kitRoot, 'node_modules', '.cache', 'mp-kit', 'selftest');
}

export interface CachedSelftest {
  readonly report: SelftestReport;
  /** Whether the report was remembered (no grading ran now). */
  readonly cached: boolean;
  readonly key: string;
}

/** selftest(options), or the remembered report of a fully passing run with the same key. */
export async function selftestCached(options: SelftestOptions): Promise<CachedSelftest> {
  const dir = cacheDir();
  const key = selftestKey(options);
  const file = dir && join(dir, `${key}.json`);
  if (file) {
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as { key: string; report: SelftestReport };
      if (stored.key === key && stored.report.ok && stored.report.rows.every((r) => r.ok)) return { report: stored.report, cached: true, key };
    } catch {
      // not remembered (or unreadable): run it
    }
  }
  const report = await selftest(options);
  // Remember only a full pass, and only if nothing it read changed while it ran.
  if (file && dir && report.ok && report.rows.every((r) => r.ok) && selftestKey(options) === key) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ key, at: new Date().toISOString(), report }));
    renameSync(tmp, file);
  }
  return { report, cached: false, key };
}
