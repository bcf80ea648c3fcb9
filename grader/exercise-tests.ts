// Which tests of an exercise are public (defined in `tests/public/`, shipped in the student
// pack) and which are hidden (defined in `tests/hidden/`, grader only), and their names.
//
// A test is public when its id appears as a string literal in a file under `tests/public/`
// (that is how `t.property('ring.ring-small', …)` names it). Visibility in the manifest is a
// different thing: it decides how much of a result a student's report shows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exerciseDir, type Manifest } from '../kernels/harness/manifest.ts';
import { escapeRegExp, filesUnder } from './files.ts';

function sources(dir: string): string[] {
  return filesUnder(dir)
    .filter((f) => /\.(ts|mts|js|mjs)$/.test(f))
    .map((f) => readFileSync(join(dir, f), 'utf8'));
}

function literal(id: string): RegExp {
  return new RegExp(`(['"\`])${escapeRegExp(id)}\\1`);
}

/** Test ids of the manifest that the files under `tests/<kind>/` name. */
export function testIdsIn(m: Manifest, kind: 'public' | 'hidden', dir = exerciseDir(m.id)): string[] {
  const texts = sources(join(dir, 'tests', kind));
  const ids = m.groups.flatMap((g) => Object.keys(g.tests));
  return ids.filter((id) => texts.some((t) => literal(id).test(t)));
}

export function publicTestIds(m: Manifest, dir = exerciseDir(m.id)): string[] {
  return testIdsIn(m, 'public', dir);
}

const PROPERTY = /\.property\(\s*(['"`])([a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+)\1\s*,\s*(['"`])((?:\\.|(?!\3)[^\\])*)\3/g;

/** Test id → property name, as written in `t.property(id, name, …)` calls under `tests/<kind>/`. */
export function testNames(exercise: string, kind: 'public' | 'hidden', dir = exerciseDir(exercise)): Record<string, string> {
  const names: Record<string, string> = {};
  for (const text of sources(join(dir, 'tests', kind))) {
    for (const m of text.matchAll(PROPERTY)) {
      names[m[2]!] = m[4]!.replace(/\\(.)/g, '$1');
    }
  }
  return names;
}
