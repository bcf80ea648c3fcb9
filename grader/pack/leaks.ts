// The leak check: a student pack must hold no hidden test, no solution and no mutant. The
// secret material is every file under exercises/<id>/tests/hidden/, exercises/<id>/mutants/
// (patches against the solution: their lines are read without the diff's leading ' ', '+' or
// '-'), the helpers under exercises/<id>/tests/ that the public tests do not import, and
// solutions/. What is searched for in the pack:
//   - every *distinctive* line of those files: a line (trimmed, 16+ characters, with a word in
//     it) that appears in none of the kit files the pack ships legitimately (the runtime, the
//     harness, public tests, protocols, handouts, starters: a starter shares its comments with
//     the solution, a hidden test its imports with the public one);
//   - the id and the name of every hidden test, and the description of every mutant.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifest } from '../../kernels/harness/manifest.ts';
import { testIdsIn, testNames } from '../exercise-tests.ts';
import { escapeRegExp, filesUnder } from '../files.ts';

export interface Secrets {
  /** Distinctive line → the kit file it comes from. */
  readonly lines: Map<string, string>;
  /** Text that must not appear anywhere (names, descriptions) → what it is. */
  readonly names: Map<string, string>;
  /** Test ids that must not appear as a whole word → what it is. */
  readonly ids: Map<string, string>;
}

export interface Leak {
  /** File in the pack, relative. */
  readonly file: string;
  readonly found: string;
  readonly from: string;
}

const TEXT = /\.(ts|mts|cts|js|mjs|cjs|json|md|txt|hbs|html|css|csv|yml|yaml|patch|diff)$/i;

/** The lines of a secret file; of a patch, the lines themselves (its header, and each line without the diff's mark). */
export function secretLines(path: string, text: string): string[] {
  const lines = text.split('\n');
  if (!/\.(patch|diff)$/i.test(path)) return lines;
  return lines.filter((l) => !/^(---|\+\+\+|@@) /.test(l)).map((l) => (/^[-+ ]/.test(l) ? l.slice(1) : l));
}

export function distinctive(line: string): boolean {
  const t = line.trim();
  return t.length >= 16 && /[A-Za-z]{3}/.test(t);
}

/** Is this kit path secret material (never in a pack)? `shipped` are the kit paths a pack takes. */
export function isSecretPath(path: string): boolean {
  return /^solutions\//.test(path) || /^exercises\/[^/]+\/(tests\/hidden|mutants)\//.test(path);
}

/**
 * The secrets of the kit at `kitRoot`. `shipped`: kit paths (relative) the pack copies as
 * they are; their lines are public and so never count as distinctive.
 */
export function collectSecrets(kitRoot: string, shipped: readonly string[]): Secrets {
  const publicLines = new Set<string>();
  const publicTexts: string[] = [];
  for (const f of shipped) {
    if (isSecretPath(f) || !TEXT.test(f)) continue;
    const text = readFileSync(join(kitRoot, f), 'utf8');
    publicTexts.push(text);
    for (const l of text.split('\n')) publicLines.add(l.trim());
  }
  // A name the public material itself states (a handout describing what a hidden test checks)
  // is public by its author's choice; the check is for anything beyond that.
  const inPublic = (needle: string) => publicTexts.some((t) => t.includes(needle));
  const ids = new Map<string, string>();
  const shippedSet = new Set(shipped);
  const secretFiles: string[] = filesUnder(join(kitRoot, 'solutions')).map((f) => `solutions/${f}`);
  const names = new Map<string, string>();
  const exercisesRoot = join(kitRoot, 'exercises');
  for (const id of readdirSync(exercisesRoot)) {
    const dir = join(exercisesRoot, id);
    if (!statSync(dir).isDirectory()) continue;
    for (const f of filesUnder(join(dir, 'tests'))) {
      const path = `exercises/${id}/tests/${f}`;
      if (!f.startsWith('public/') && !shippedSet.has(path)) secretFiles.push(path);
    }
    for (const f of filesUnder(join(dir, 'mutants'))) secretFiles.push(`exercises/${id}/mutants/${f}`);
    let manifest;
    try {
      manifest = loadManifest(dir);
    } catch {
      continue;
    }
    const publicIds = new Set(testIdsIn(manifest, 'public', dir));
    for (const t of testIdsIn(manifest, 'hidden', dir)) {
      if (!publicIds.has(t) && !idPattern(t).test(publicTexts.join('\n'))) ids.set(t, `the id of hidden test ${t}`);
    }
    for (const [t, name] of Object.entries(testNames(id, 'hidden', dir))) {
      if (!publicIds.has(t) && !inPublic(name)) names.set(name, `the name of hidden test ${t}`);
    }
    for (const mu of manifest.mutants) if (!inPublic(mu.description)) names.set(mu.description, `the description of mutant ${id}/${mu.id}`);
  }
  const lines = new Map<string, string>();
  for (const f of secretFiles) {
    if (!TEXT.test(f)) continue;
    for (const l of secretLines(f, readFileSync(join(kitRoot, f), 'utf8'))) {
      const t = l.trim();
      if (distinctive(t) && !publicLines.has(t) && !lines.has(t)) lines.set(t, f);
    }
  }
  return { lines, names, ids };
}

/** A test id as a whole word: "ring.idle" but not "ring.idle-check". */
function idPattern(id: string): RegExp {
  return new RegExp(`(?<![\\w.-])${escapeRegExp(id)}(?![\\w-])`);
}

/** Every secret found in the files of the pack at `packDir` (node_modules, check/ and zips are not searched). */
export function findLeaks(packDir: string, secrets: Secrets): Leak[] {
  const leaks: Leak[] = [];
  for (const f of filesUnder(packDir)) {
    if (/^(node_modules|check|\.git)\//.test(f) || /\.zip$/.test(f)) continue;
    const text = readFileSync(join(packDir, f), 'utf8');
    for (const l of text.split('\n')) {
      const from = secrets.lines.get(l.trim());
      if (from !== undefined) leaks.push({ file: f, found: l.trim(), from });
    }
    for (const [needle, what] of secrets.names) {
      if (text.includes(needle)) leaks.push({ file: f, found: needle, from: what });
    }
    for (const [id, what] of secrets.ids) {
      if (idPattern(id).test(text)) leaks.push({ file: f, found: id, from: what });
    }
  }
  return leaks;
}
