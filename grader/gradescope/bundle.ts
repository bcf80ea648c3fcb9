// `npx grader gradescope`: the zip Gradescope's "zip file upload" takes for a programming
// assignment. Its layout (Gradescope unpacks it into /autograder/source):
//   setup.sh, run_autograder   at the root, where Gradescope looks for them (templates/)
//   bundle.json                the choices made when it was built (exercises, sandbox, visibility)
//   README.md                  for the lecturer: what the zip is and the settings to use
//   kit/                       what grading needs: runtime, kernels, grader, the chosen
//                              exercises with their hidden tests, their reference solutions
//                              (the canary), package.json and a lock that names each tarball
//   npm-cache/                 the kit's npm packages for x86-64 Linux, for `npm ci --offline`
// Student code never sees any of it: it runs in the sandbox, which shows it its own bundle only.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listExercises } from '../../kernels/harness/manifest.ts';
import { UserError } from '../errors.ts';
import { kitRoot as defaultKitRoot, kitVersion } from '../kit.ts';
import { filesUnder } from '../files.ts';
import { zip, type ZipEntry } from '../zip.ts';
import { carryPackages, withResolved, type Lock } from './npm-cache.ts';
import { NODE, NPM, sha512Hex } from './pins.ts';
import { HiddenVisibility } from './results.ts';

const templates = fileURLToPath(new URL('./templates/', import.meta.url));

/** What run_autograder and setup.sh read from bundle.json. */
export interface BundleConfig {
  readonly format: 1;
  readonly exercises: string[];
  /** Grade even when the sandbox leaves the network open (the fallback level without a network namespace). */
  readonly allowWeakSandbox: boolean;
  readonly hiddenVisibility: HiddenVisibility;
  /** The version of the kit the bundle was cut from (the bundle's own kit version is stamped on each result). */
  readonly builtFrom: string;
  readonly node: string;
}

export const BUNDLE_JSON = 'bundle.json';

export interface BundleOptions {
  /** The zip to write. */
  readonly out: string;
  /** Exercises to grade (default: every exercise of the kit). */
  readonly exercises?: readonly string[];
  readonly allowWeakSandbox?: boolean;
  readonly hiddenVisibility?: HiddenVisibility;
  /** Carry the npm packages (default true). Without them setup.sh downloads them. */
  readonly npmCache?: boolean;
  /** When the local npm cache lacks a package, `npm cache add` it first (default true; needs the registry). */
  readonly fetchMissing?: boolean;
  /** The npm cache to copy from (default: npm's own, `npm config get cache`). */
  readonly cache?: string;
}

export interface BundleResult {
  readonly zip: string;
  readonly bytes: number;
  readonly config: BundleConfig;
  /** Every path in the zip, sorted. */
  readonly files: string[];
  /** npm packages carried, and those the local cache lacked (setup.sh downloads them). */
  readonly packages: number;
  readonly missing: string[];
}

/** Kit paths (relative) that grading the given exercises needs. */
export function kitFilesFor(exercises: readonly string[], kitRoot = defaultKitRoot): string[] {
  const files: string[] = ['package.json', 'tsconfig.json'];
  const under = (dir: string, keep: (rel: string) => boolean = () => true) => {
    for (const f of filesUnder(join(kitRoot, dir))) {
      if (/(^|\/)(test|node_modules)\//.test(f) || /(^|\/)\./.test(f) || !keep(f)) continue;
      files.push(`${dir}/${f}`);
    }
  };
  under('runtime');
  under('kernels');
  under('grader', (f) => !f.startsWith('scaffold/template/')); // cli.ts imports the scaffold's code; its template (a mutant in it) is for authors
  under('exercises', (f) => !f.includes('/')); // vitest.config.ts
  for (const id of exercises) {
    under(`exercises/${id}`, (f) => !/^mutants\//.test(f)); // mutants are for selftest, never for grading
    under(`solutions/${id}`);
  }
  return [...new Set(files)].sort();
}

export async function buildGradescopeBundle(options: BundleOptions, kitRoot = defaultKitRoot): Promise<BundleResult> {
  const all = listExercises(join(kitRoot, 'exercises'));
  const exercises = options.exercises && options.exercises.length > 0 ? [...new Set(options.exercises)] : all;
  for (const id of exercises) if (!all.includes(id)) throw new UserError(`no exercise "${id}" in this kit (there are: ${all.join(', ')})`);
  const hiddenVisibility = options.hiddenVisibility ?? 'hidden';
  if (!HiddenVisibility.includes(hiddenVisibility)) throw new UserError(`--hidden-visibility must be one of ${HiddenVisibility.join(', ')}`);

  const entries: ZipEntry[] = [];
  for (const f of kitFilesFor(exercises, kitRoot)) {
    if (f === 'package-lock.json') continue;
    entries.push({ name: `kit/${f}`, data: readFileSync(join(kitRoot, f)) });
  }
  const lock = withResolved(JSON.parse(readFileSync(join(kitRoot, 'package-lock.json'), 'utf8')) as Lock);
  entries.push({ name: 'kit/package-lock.json', data: `${JSON.stringify(lock, null, 2)}\n` });

  let packages = 0;
  let missing: string[] = [];
  if (options.npmCache !== false) {
    const carried = carryPackages(lock, { cache: options.cache, fetch: options.fetchMissing !== false });
    for (const p of carried.files) entries.push({ name: `npm-cache/${p.path}`, data: p.data });
    packages = carried.files.length;
    missing = carried.missing;
    if (missing.length === 0) entries.push({ name: 'npm-cache/complete', data: `${packages} packages: npm ci can run offline\n` });
  }

  const config: BundleConfig = {
    format: 1,
    exercises,
    allowWeakSandbox: options.allowWeakSandbox === true,
    hiddenVisibility,
    builtFrom: kitVersion(),
    node: NODE.version,
  };
  entries.push({ name: BUNDLE_JSON, data: `${JSON.stringify(config, null, 2)}\n` });
  entries.push({ name: 'setup.sh', data: setupScript(), mode: 0o755 });
  entries.push({ name: 'run_autograder', data: readFileSync(join(templates, 'run_autograder')), mode: 0o755 });
  entries.push({ name: 'README.md', data: bundleReadme(config, packages, missing) });

  const out = resolve(options.out);
  await mkdir(dirname(out), { recursive: true });
  const data = zip(entries);
  await writeFile(out, data);
  return { zip: out, bytes: data.length, config, files: entries.map((e) => e.name).sort(), packages, missing };
}

/** setup.sh with the pinned Node and npm filled in. */
export function setupScript(): string {
  const text = readFileSync(join(templates, 'setup.sh'), 'utf8')
    .replaceAll('@NODE_VERSION@', NODE.version)
    .replaceAll('@NODE_URL@', NODE.url)
    .replaceAll('@NODE_SHA512@', sha512Hex(NODE.integrity))
    .replaceAll('@NPM_VERSION@', NPM.version)
    .replaceAll('@NPM_URL@', NPM.url)
    .replaceAll('@NPM_SHA512@', sha512Hex(NPM.integrity));
  const left = /@[A-Z0-9_]+@/.exec(text);
  if (left) throw new Error(`setup.sh template: ${left[0]} was not filled in`);
  return text;
}

function bundleReadme(config: BundleConfig, packages: number, missing: readonly string[]): string {
  return `# Gradescope autograder: ${config.exercises.join(', ')}

Built by \`npx grader gradescope\` from kit ${config.builtFrom}. Upload this zip as it is
(Assignment → Configure Autograder → Zip file upload). Settings:

- Base image: Ubuntu 22.04 or 24.04 (x86-64); setup.sh installs bubblewrap and util-linux with
  apt, and Node ${config.node} (from the npm registry, checked against its pinned sha512) if the
  image has no Node ^20.19 || >=22.12.
- Memory: 2 GB or more (each test kernel may use 1 GB; the grader, type checker and tests need
  the rest). CPUs: 1 works, 2 grade faster.
- Timeout: 10 minutes (a submission takes well under one; a hanging one is cut off per test).

setup.sh ends by grading the reference solution${config.exercises.length > 1 ? 's' : ''} on Gradescope's own machine: if
${config.exercises.length > 1 ? 'they do' : 'it does'} not get full marks, or the sandbox there would leave the network open${config.allowWeakSandbox ? ' (allowed in this bundle)' : ''},
the upload fails with the reason in the build log, before any student is graded.

Students see the report's text and one entry per test: visible groups in full, "name only"
groups as passed or failed, hidden groups as "hidden test k" (Gradescope visibility
"${config.hiddenVisibility}"). The hidden tests in kit/ are never visible to student code.

npm packages carried: ${packages}${missing.length > 0 ? `; downloaded at setup: ${missing.join(', ')}` : ' (npm ci runs offline)'}.
`;
}
