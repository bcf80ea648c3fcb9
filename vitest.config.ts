import { defineConfig } from 'vitest/config';

// The kit's own test suite. Exercise tests (exercises/*/tests) are not listed here:
// they run through the harness against solutions, starters and mutants.
export default defineConfig({
  test: {
    include: ['{runtime,kernels,grader,bench}/test/**/*.test.ts', 'exercises/*/test/**/*.test.ts'],
    retry: 0,
    bail: 0,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
