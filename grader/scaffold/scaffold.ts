// `npx grader new <id>`: a new exercise that works from the first minute. It writes the
// handout, protocol, manifest, a public and a hidden test, a starter, a reference solution
// and one mutant, all from `template/` (file names and text with `__id__` and `__Title__`
// filled in). The result passes `npx grader selftest --exercise <id>`: the author changes it
// step by step and runs selftest after each step. See exercises/AUTHORING.md.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import { kitRoot as defaultKitRoot } from '../kit.ts';

const TEMPLATE = fileURLToPath(new URL('./template/', import.meta.url));

export interface Scaffolded {
  readonly id: string;
  /** Files written, relative to the kit. */
  readonly files: string[];
}

export async function scaffoldExercise(id: string, kitRoot = defaultKitRoot): Promise<Scaffolded> {
  if (!/^[a-z][a-z0-9-]*$/.test(id)) throw new UserError(`"${id}" cannot be an exercise id: use lower-case letters, digits and dashes, starting with a letter`);
  for (const dir of ['exercises', 'starter', 'solutions']) {
    if (existsSync(join(kitRoot, dir, id))) throw new UserError(`${dir}/${id} already exists: choose another id, or remove it first`);
  }
  const title = id
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
  const fill = (text: string) => text.replaceAll('__id__', id).replaceAll('__Title__', title);
  const files: string[] = [];
  for (const source of walk(TEMPLATE)) {
    const target = join(kitRoot, fill(relative(TEMPLATE, source)).replace(/\.tmpl$/, ''));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, fill(await readFile(source, 'utf8')), { flag: 'wx' });
    files.push(relative(kitRoot, target));
  }
  return { id, files: files.sort() };
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) yield* walk(full);
    else yield full;
  }
}
