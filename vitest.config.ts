import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { kitCoverage } from './vitest.coverage.ts';

// The kit's own test suite, in two tiers (exercise tests, exercises/*/tests, are not listed
// here: they run through the harness against solutions, starters and mutants):
//   unit  `npm test`: the runtime, the kernels, and the grader's parts, each on its own
//         (about a minute on 2 cores: the loop a developer runs after every change);
//   e2e   `npm run test:e2e`: whole workflows through real child processes: a grading run's
//         slots and workers grading classes and attacks, the kit grading itself (selftest), the
//         student pack built and used with npm, the Gradescope bundle and the GitHub workflows
//         (about 8 minutes). CI runs both tiers; `npm run test:all` runs them in one go.
/** The end-to-end files: each grades real submissions or drives npm, minutes of CPU in all. */
const e2e = [
  'grader/test/attacks.test.ts',
  'grader/test/grade.test.ts',
  'grader/test/gradescope-bundle.test.ts',
  'grader/test/infrastructure.test.ts',
  'grader/test/pack.test.ts',
  'grader/test/prepare.test.ts',
  'grader/test/scaffold.test.ts',
  'grader/test/selftest.test.ts',
  'grader/test/workflows.test.ts',
];

export default defineConfig({
  test: {
    // Two files at once even on 2 cores: the slow files wait on child processes (npm, vitest
    // jobs, kernels) much of the time, so a second worker fills the idle core (12 → ~9 min).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    retry: 0,
    bail: 0,
    // Wall-clock limits are only a backstop for a hang (what a test asserts is bounded by CPU
    // time or by events): generous, so that a loaded machine slows the suite and never fails it.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // CI (.ci/run) sets MP_COVERAGE=1 on `npm test`: the thresholds of `npm run coverage` then
    // hold over the whole unit tier, measured in the same run rather than a second one.
    coverage: { ...kitCoverage, enabled: process.env.MP_COVERAGE === '1' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{runtime,kernels,grader,bench}/test/**/*.test.ts', 'exercises/*/test/**/*.test.ts'],
          exclude: e2e,
        },
      },
      { extends: true, test: { name: 'e2e', include: e2e } },
    ],
  },
});
