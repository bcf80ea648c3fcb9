// Line and branch coverage of the runtime and of the grader's in-process logic, over the unit
// tier (`npm test`): `npm run coverage` prints it, and CI runs `npm test` with MP_COVERAGE=1
// so that the thresholds below hold in the same run (see vitest.config.ts). The end-to-end
// tier (`npm run test:e2e`) drives the grader through child processes (the CLI, vitest slots,
// prepare workers, kernels in a sandbox, npm in a built pack), where V8 coverage of this
// process sees nothing; it is not measured.
//
// What is counted, and why:
//   runtime/**  every module, except demo.ts (the `npm run tour` script: run, never imported).
//   grader/     the modules whose behaviour is decided in process and tested here: intake
//               (submission reading, archive bombs), score and redact (marks, hidden-source
//               redaction), result and outputs (the result schema and its files), marks, report,
//               study, progress-log, kit, write-atomic, errors, and what they share below
//               them (class-folder, stats, files, exercise-tests).
// What is not counted (each is run by the tests named, through child processes):
//   grader/cli.ts, grade.ts, merge.ts, shard.ts, doctor.ts, progress.ts, lock.ts, selftest.ts,
//   build-info.ts   the CLI and the grading run: grade.test, lecturer.test, cli.test,
//                   selftest.test drive them as a lecturer does (the grader binary, slots, workers);
//   grader/run/**, grader/prepare/**   the vitest slots and prepare workers: child processes only;
//   grader/gradescope/**   the Gradescope bundle: gradescope-bundle.test (npm, a built bundle);
//   grader/pack/**  the student pack and the tools that run inside it: pack.test (npm ci and
//                   npm test in a built pack);
//   grader/scaffold/**, grader/github/**   lecturer scaffolding: scaffold.test, workflows.test.
import type { CoverageV8Options } from 'vitest/node';

/** What counts and the thresholds, shared with `npm test` under MP_COVERAGE=1 (as CI runs it). */
export const kitCoverage = {
  provider: 'v8',
  include: [
    'runtime/**/*.ts',
    'grader/{intake,marks,report,study,progress-log}/**/*.ts',
    'grader/{score,redact,result,outputs,kit,write-atomic,errors,class-folder,stats,files,exercise-tests}.ts',
  ],
  exclude: ['**/test/**', 'runtime/demo.ts', '**/*.d.ts'],
  reporter: ['text-summary', 'json-summary'],
  reportsDirectory: 'coverage',
  thresholds: {
    'runtime/**': { lines: 90, branches: 80 },
    'grader/**': { lines: 90, branches: 80 },
  },
} satisfies CoverageV8Options & { provider: 'v8' };
