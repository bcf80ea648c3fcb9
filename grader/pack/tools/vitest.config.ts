// The student pack's vitest configuration (the pack's vitest.config.ts re-exports it):
//   npm test                 every exercise's public tests
//   npm test -- ring         one exercise (by id: `npm test -- bank` does not run bank-locks)
//   npm run test:watch       watch mode: saving a file of yours reruns that exercise's tests
//   SEED=4181 TEST_ID=ring.desk-answers npm test -- ring   replay one test (by its id) under one seed:
//                            the command a failure prints (kernels/harness/replay.ts)
import { defineConfig } from 'vitest/config';
import { exerciseDir, listExercises, loadManifest } from '../../../kernels/harness/manifest.ts';
import { escapeRegExp, filesUnder } from '../../files.ts';
import { packRoot, studentRoot } from './local.ts';
import PackReporter from './reporter.ts';

/** Saving one of your files reruns the public tests of its exercise (vitest cannot see that link: your code reaches the tests as a bundle). */
function watchTriggers(): { pattern: RegExp; testsToRun: () => string[] }[] {
  const root = studentRoot().replace(/[\\/]+$/, '');
  const triggers: { pattern: RegExp; testsToRun: () => string[] }[] = [];
  for (const id of listExercises()) {
    let files: string[];
    try {
      files = loadManifest(exerciseDir(id)).files;
    } catch {
      continue;
    }
    const folders = [...new Set(files.map((f) => (f.includes('/') ? `${f.slice(0, f.lastIndexOf('/'))}/` : f)))];
    const tests = filesUnder(`${exerciseDir(id)}/tests/public`)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => `exercises/${id}/tests/public/${f}`);
    if (tests.length === 0) continue;
    const alternatives = folders.map((f) => (f.endsWith('/') ? `${escapeRegExp(f)}[^\\\\/]+\\.[cm]?[jt]s` : escapeRegExp(f)));
    triggers.push({ pattern: new RegExp(`^${escapeRegExp(root)}[\\\\/](?:${alternatives.join('|')})$`), testsToRun: () => tests });
  }
  return triggers;
}

/**
 * `-t "name"` selects tests by a regular expression; test names are plain words that may hold
 * brackets or a question mark. Match the name as written too, so that every replay command
 * printed with a failure selects its test.
 */
export function literalTestNames() {
  return {
    name: 'mp-literal-test-names',
    configureVitest({ vitest }: { vitest: { config: { testNamePattern?: RegExp } } }) {
      const p = vitest.config.testNamePattern;
      if (p instanceof RegExp) vitest.config.testNamePattern = new RegExp(`(?:${p.source})|(?:${escapeRegExp(p.source)})`, p.flags);
    },
  };
}

/**
 * vitest filters test files by substring, so `npm test -- bank` would also run bank-locks'
 * tests (and log a run of it). When every filter on the command line is an exercise id, only
 * those exercises' public tests are included.
 */
export function includeFor(argv: readonly string[] = process.argv.slice(2)): string[] {
  const all = ['exercises/*/tests/public/**/*.test.ts'];
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (/^(-c|--config|-r|--root|--dir|--reporter|--outputFile|--project)$/.test(a))
      i++; // its value is no filter
    else if (!a.startsWith('-') && a !== 'run' && a !== 'watch' && !/vitest(\.m?js)?$/.test(a)) positional.push(a);
  }
  let ids: string[];
  try {
    ids = listExercises();
  } catch {
    return all;
  }
  if (positional.length === 0 || !positional.every((a) => ids.includes(a)) || argv.some((a) => a === '-t' || a.startsWith('--testNamePattern'))) return all;
  return positional.map((id) => `exercises/${id}/tests/public/**/*.test.ts`);
}

export default defineConfig({
  root: packRoot,
  plugins: [literalTestNames()],
  test: {
    include: includeFor(),
    retry: 0,
    bail: 0,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // More seeds than grading uses (the manifest's localSeeds): a local run is cheap.
    // MP_LOCAL_SEEDS=0 runs the grader's seeds only (the kit's tests compare with grading).
    env: { MP_LOCAL_SEEDS: process.env.MP_LOCAL_SEEDS ?? '1' },
    reporters: ['default', new PackReporter()],
    watchTriggerPatterns: watchTriggers(),
  },
});
