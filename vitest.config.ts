import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { kitCoverage } from './vitest.coverage.config.ts';

// The kit's own test suite. Exercise tests (exercises/*/tests) are not listed here:
// they run through the harness against solutions, starters and mutants.
export default defineConfig({
  test: {
    include: ['{runtime,kernels,grader,bench}/test/**/*.test.ts', 'exercises/*/test/**/*.test.ts'],
    // Two files at once even on 2 cores: the slow files wait on child processes (npm, vitest
    // jobs, kernels) much of the time, so a second worker fills the idle core (12 → ~9 min).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    retry: 0,
    bail: 0,
    // Wall-clock limits are only a backstop for a hang (what a test asserts is bounded by CPU
    // time or by events): generous, so that a loaded machine slows the suite and never fails it.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // CI (.ci/run) sets MP_COVERAGE=1: the thresholds of `npm run coverage` then hold over the
    // whole suite, measured in the same run rather than a second one.
    coverage: { ...kitCoverage, enabled: process.env.MP_COVERAGE === '1' },
  },
});
