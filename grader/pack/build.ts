// `npx grader pack`: the student pack, built from the kit. What goes in:
//   - the runtime (runtime/, without its tests);
//   - of the kit's other code, exactly what the pack's scripts and public tests import
//     (the in-process test harness, the simulated kernels, the loader; the grader's scoring,
//     report templates and result schema for `npm run check`), found by following imports;
//   - per exercise: the handout, protocol, kit material for students (e.g. a parser), the
//     public tests and the helpers they import, and a manifest naming only the public tests;
//   - the starter files where students edit them (starter/<id>/ → the pack's root);
//   - README.md, REFLECTION.md, settings.json, package.json with its package-lock.json (cut
//     from the kit's lock), vitest.config.ts, tsconfig.json, pack.json.
// What never goes in: hidden tests, solutions, mutants (a leak check over the finished pack
// fails the build otherwise), the grader's intake, sandbox runner or class reports.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile, copyFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { exerciseDir, listExercises, loadManifest, maxPoints, type Manifest } from '../../kernels/harness/manifest.ts';
import { UserError } from '../errors.ts';
import { kitRoot as defaultKitRoot, kitVersion } from '../kit.ts';
import { importClosure } from './closure.ts';
import { collectSecrets, findLeaks, isSecretPath, type Leak } from './leaks.ts';
import { pruneLock, type Lockfile } from './lockfile.ts';
import { publicTestIds, testNames } from '../exercise-tests.ts';
import { filesUnder, sha256 } from '../files.ts';
import { packManifest } from './public.ts';
import { STUDENT_WORKFLOW_PATH, studentWorkflow } from '../github/student-workflow.ts';
import { biomeJson, GITIGNORE, reflectionMd, settingsJson, studentReadme, tsconfig, VITEST_CONFIG, type BiomeConfig, type ReadmeExercise } from './texts.ts';
import { isOwnTestFile, PACK_INFO, type GradedOnly, type PackExercise, type PackInfo } from './info.ts';
import { zip } from '../zip.ts';

export interface PackOptions {
  /** The pack's folder (created; a previous pack there is replaced). */
  readonly out: string;
  /** Also write `<out>.zip` (one top folder named like `out`). */
  readonly zip?: boolean;
  /** Only these exercises (default: every exercise of the kit that has public tests). */
  readonly exercises?: readonly string[];
}

export interface PackResult {
  readonly dir: string;
  readonly zip?: string;
  /** Every file of the pack, relative, sorted. */
  readonly files: string[];
  /** Files copied from the kit: pack path → kit path (starters come from starter/<id>/). */
  readonly sources: Record<string, string>;
  readonly exercises: PackExercise[];
  /** Exercises left out or incomplete, and why (plain words, for the lecturer). */
  readonly warnings: string[];
}

/** The pack cannot be built as asked; the CLI prints the message (a UserError). */
export class PackError extends UserError {
  override name = 'PackError';
}

/** The npm packages every pack needs, whatever its tests import. */
const BASE_PACKAGES = ['vitest', 'vite', 'esbuild', 'typescript', 'zod', 'handlebars', 'tsx', '@types/node', '@biomejs/biome'];

/** Scripts and config of the pack (kit paths; shipped at the same paths). */
const TOOLS = ['grader/pack/tools/vitest.config.ts', 'grader/pack/tools/check.ts', 'grader/pack/tools/submit.ts', 'grader/pack/tools/reporter.ts'];

/** Entry points the harness loads by path at run time (the kernel host runs in the test process). */
const HARNESS = ['kernels/harness/index.ts', 'kernels/host/host.ts', 'kernels/harness/manifest.ts'];

/** Files under exercises/<id>/ that never go to students, besides tests/. */
function notForStudents(rel: string): boolean {
  return rel === 'manifest.json' || /^(mutants|test|tests)\//.test(rel) || /(^|\/)bench(\.ts|\/)/.test(rel) || /(^|\/)\./.test(rel);
}

export async function buildPack(options: PackOptions, kitRoot = defaultKitRoot): Promise<PackResult> {
  const out = resolve(options.out);
  const warnings: string[] = [];
  const files = new Map<string, { from: string } | { text: string }>();
  const put = (path: string, source: { from: string } | { text: string }) => {
    if (files.has(path)) throw new PackError(`two files want the same place in the pack: ${path}`);
    files.set(path, source);
  };

  // Exercises: which ones, their public tests, their pack manifests.
  const all = listExercises(join(kitRoot, 'exercises'));
  const wanted = options.exercises && options.exercises.length > 0 ? [...options.exercises] : all;
  for (const id of wanted) if (!all.includes(id)) throw new PackError(`no exercise "${id}" in this kit (there are: ${all.join(', ')})`);
  const chosen: { m: Manifest; publicIds: string[]; dir: string }[] = [];
  for (const id of wanted) {
    const dir = exerciseDir(id, join(kitRoot, 'exercises'));
    const m = loadManifest(dir);
    const publicIds = publicTestIds(m, dir);
    if (publicIds.length === 0) {
      warnings.push(`${id}: left out: it has no public tests (tests/public/) naming a test of its manifest`);
      continue;
    }
    chosen.push({ m, publicIds, dir });
  }
  if (chosen.length === 0) throw new PackError('no exercise has public tests: there is nothing to pack');

  // Kit files, found by following imports from the pack's entry points.
  const entries = [...TOOLS, ...HARNESS];
  for (const { m, dir } of chosen) {
    for (const f of filesUnder(join(dir, 'tests', 'public'))) if (/\.[cm]?ts$/.test(f)) entries.push(`exercises/${m.id}/tests/public/${f}`);
    for (const f of filesUnder(dir)) if (!notForStudents(f) && /\.[cm]?ts$/.test(f)) entries.push(`exercises/${m.id}/${f}`);
  }
  const closure = await importClosure(kitRoot, entries);
  const secret = closure.files.filter(isSecretPath);
  if (secret.length > 0)
    throw new PackError(`the pack's code imports secret material: ${secret.join(', ')} (a public test or kit file imports a hidden test, solution or mutant)`);
  const kitFiles = new Set(closure.files);
  for (const folder of closure.folders) for (const f of filesUnder(join(kitRoot, folder))) kitFiles.add(`${folder.replace(/\/$/, '')}/${f}`);
  for (const f of filesUnder(join(kitRoot, 'runtime'))) if (!/^test\//.test(f)) kitFiles.add(`runtime/${f}`);
  for (const { m, dir } of chosen) {
    for (const f of filesUnder(dir)) if (!notForStudents(f)) kitFiles.add(`exercises/${m.id}/${f}`);
    for (const f of filesUnder(join(dir, 'tests', 'public'))) kitFiles.add(`exercises/${m.id}/tests/public/${f}`);
  }
  // Exercises not in the pack stay out entirely (a shared helper of theirs would be in the closure only if imported).
  const packedIds = new Set(chosen.map((c) => c.m.id));
  for (const f of [...kitFiles]) {
    const ex = /^exercises\/([^/]+)\//.exec(f)?.[1];
    if (ex !== undefined && !packedIds.has(ex)) kitFiles.delete(f);
  }
  for (const f of [...kitFiles].sort()) put(f, { from: join(kitRoot, f) });

  // Per exercise: manifest, starter, pack.json entry.
  const packExercises: PackExercise[] = [];
  const readme: ReadmeExercise[] = [];
  for (const { m, publicIds, dir } of chosen) {
    const slim = packManifest(m, publicIds);
    put(`exercises/${m.id}/manifest.json`, { text: `${JSON.stringify(slim, null, 2)}\n` });
    const starterDir = join(kitRoot, 'starter', m.id);
    const starter: Record<string, string> = {};
    const starterFiles = filesUnder(starterDir);
    if (starterFiles.length === 0) warnings.push(`${m.id}: no starter (starter/${m.id}/): students start from an empty folder`);
    for (const f of starterFiles) {
      if (/^(runtime|kernels|exercises|grader|node_modules|check)\//.test(f) || f.includes('/.') || f.startsWith('.')) {
        throw new PackError(`starter/${m.id}/${f} would overwrite kit material in the pack`);
      }
      put(f, { from: join(starterDir, f) });
      starter[f] = sha256(readFileSync(join(starterDir, f)));
    }
    const missing = m.files.filter((f) => !starterFiles.includes(f));
    if (starterFiles.length > 0 && missing.length > 0) warnings.push(`${m.id}: the starter has no ${missing.join(', ')}`);
    if (!existsSync(join(dir, 'README.md'))) warnings.push(`${m.id}: no handout (exercises/${m.id}/README.md)`);
    const info: PackExercise = {
      id: m.id,
      title: m.title,
      files: m.files,
      points: { public: maxPoints(slim), total: maxPoints(m), manual: m.manual.reduce((a, i) => a + i.points, 0) },
      starter,
      gradedOnly: gradedOnly(m, publicIds),
      publicTests: filesUnder(join(dir, 'tests', 'public')).filter((f) => /\.test\.[cm]?ts$/.test(f) && !isOwnTestFile(f)),
    };
    packExercises.push(info);
    readme.push({ ...info, handout: existsSync(join(dir, 'README.md')) ? `exercises/${m.id}/README.md` : undefined });
  }

  // package.json and its lock.
  const kitPackage = JSON.parse(readFileSync(join(kitRoot, 'package.json'), 'utf8')) as {
    version: string;
    engines?: Record<string, string>;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    imports?: Record<string, string>;
    allowScripts?: Record<string, boolean>;
  };
  const kitDeps = { ...kitPackage.dependencies, ...kitPackage.devDependencies };
  const needed = [...new Set([...BASE_PACKAGES, ...closure.packages])].sort();
  const devDependencies: Record<string, string> = {};
  for (const name of needed) {
    const version = kitDeps[name];
    if (version === undefined) throw new PackError(`the pack's code imports "${name}", which is not a dependency of the kit`);
    devDependencies[name] = version;
  }
  const imports: Record<string, string> = {};
  for (const [key, target] of Object.entries(kitPackage.imports ?? {})) {
    const path = target.replace(/^\.\//, '');
    const exists = path.includes('*') ? [...files.keys()].some((f) => f.startsWith(path.slice(0, path.indexOf('*')))) : files.has(path);
    if (exists) imports[key] = target;
  }
  const name = 'message-passing-exercises';
  const packageJson = {
    name,
    version: kitPackage.version,
    private: true,
    description: 'Exercise 3: message passing. Your code, the actor runtime, and the public tests.',
    type: 'module',
    engines: kitPackage.engines ?? { node: '^20.19.0 || >=22.12.0' },
    imports,
    scripts: {
      test: 'vitest run',
      'test:watch': 'vitest watch',
      check: 'tsx grader/pack/tools/check.ts',
      submit: 'tsx grader/pack/tools/submit.ts',
      lint: 'biome lint',
      format: 'biome format --write',
    },
    devDependencies,
    ...(kitPackage.allowScripts ? { allowScripts: kitPackage.allowScripts } : {}),
  };
  const kitLock = JSON.parse(readFileSync(join(kitRoot, 'package-lock.json'), 'utf8')) as Lockfile;
  for (const [dep, version] of Object.entries(devDependencies)) {
    const locked = kitLock.packages[`node_modules/${dep}`]?.version;
    if (locked !== version)
      throw new PackError(`the kit's package-lock.json has ${dep}@${locked ?? 'nothing'}, package.json asks for ${version}: run npm install in the kit first`);
  }
  const lock = pruneLock(kitLock, { name, version: kitPackage.version, devDependencies, engines: packageJson.engines });

  const version = kitVersion();
  const pairs = wanted.flatMap((id) => {
    const c = loadManifest(exerciseDir(id, join(kitRoot, 'exercises'))).compare;
    return c && wanted.includes(c.with) ? [{ a: `\`${c.with}\``, b: `\`${id}\``, question: c.question }] : [];
  });
  const reflection = reflectionMd(pairs);
  const packInfo: PackInfo = { kit: version, exercises: packExercises, reflection: sha256(reflection) };
  put('package.json', { text: `${JSON.stringify(packageJson, null, 2)}\n` });
  put('package-lock.json', { text: `${JSON.stringify(lock, null, 2)}\n` });
  put('README.md', { text: studentReadme(readme, version) });
  put('REFLECTION.md', { text: reflection });
  put('settings.json', { text: settingsJson() });
  put('.gitignore', { text: GITIGNORE });
  put('vitest.config.ts', { text: VITEST_CONFIG });
  const studentFolders = [...new Set(packExercises.flatMap((e) => e.files.map((f) => f.split('/')[0]!)))];
  // For editors: the student's code and what it builds on (the pack's scripts are not the student's business).
  put('tsconfig.json', { text: tsconfig(['runtime', 'kernels', 'exercises', ...studentFolders]) });
  // The kit's own lint rules, over the student's folders only: what the editor underlines is what `npm run lint` prints.
  put('biome.json', { text: biomeJson(JSON.parse(readFileSync(join(kitRoot, 'biome.json'), 'utf8')) as BiomeConfig, studentFolders) });
  put(PACK_INFO, { text: `${JSON.stringify(packInfo, null, 2)}\n` });
  // Public tests on every push, the preview as the job summary, Classroom's points.
  put(STUDENT_WORKFLOW_PATH, {
    text: studentWorkflow(
      chosen.map(({ m, dir }) => {
        const names = testNames(m.id, 'public', dir);
        const slim = packManifest(m, publicTestIds(m, dir));
        return {
          id: m.id,
          title: m.title,
          tests: slim.groups.flatMap((g) => Object.entries(g.tests).map(([id, points]) => ({ id, name: names[id] ?? id, points }))),
        };
      }),
    ),
  });

  // Write.
  await prepareOut(out);
  for (const [path, source] of files) {
    const target = join(out, path);
    await mkdir(dirname(target), { recursive: true });
    if ('from' in source) await copyFile(source.from, target);
    else await writeFile(target, source.text);
  }

  const sources: Record<string, string> = {};
  for (const [path, source] of files) if ('from' in source) sources[path] = relative(kitRoot, source.from).split('\\').join('/');
  const leaks: Leak[] = findLeaks(out, collectSecrets(kitRoot, Object.values(sources)));
  if (leaks.length > 0) {
    const shown = leaks.slice(0, 5).map((l) => `${l.file}: ${l.from}: "${l.found.slice(0, 80)}"`);
    throw new PackError(`the pack in ${out} would leak secret material (${leaks.length} finding${leaks.length > 1 ? 's' : ''}):\n  ${shown.join('\n  ')}`);
  }

  const list = [...files.keys()].sort();
  let zipPath: string | undefined;
  if (options.zip) {
    zipPath = `${out.replace(/[\\/]+$/, '')}.zip`;
    const top = basename(out);
    await writeFile(zipPath, zip(list.map((f) => ({ name: `${top}/${f}`, data: readFileSync(join(out, f)) }))));
  }
  return { dir: out, zip: zipPath, files: list, sources, exercises: packExercises, warnings };
}

/** An empty folder for the pack: a previous pack is replaced; anything else is left alone. */
async function prepareOut(out: string): Promise<void> {
  if (existsSync(out)) {
    const entries = await readdir(out);
    if (entries.length > 0) {
      if (!entries.includes(PACK_INFO)) throw new PackError(`${out} is not empty and holds no student pack: choose another --out`);
      await rm(out, { recursive: true, force: true });
    }
  }
  await mkdir(out, { recursive: true });
}

/** Per rubric group, the tests only grading runs (the hidden ones): how many, how many points. */
function gradedOnly(m: Manifest, publicIds: readonly string[]): GradedOnly[] {
  const isPublic = new Set(publicIds);
  return m.groups.flatMap((g) => {
    const hidden = Object.entries(g.tests).filter(([id]) => !isPublic.has(id));
    return hidden.length === 0 ? [] : [{ group: g.name, tests: hidden.length, points: hidden.reduce((a, [, p]) => a + p, 0) }];
  });
}
