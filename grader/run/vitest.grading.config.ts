// The grader's own vitest configuration. Always passed explicitly (--config), so nothing in a
// submission is ever loaded as configuration. The test process is trusted: it never loads
// student code, which runs only in sandboxed process kernels (MP_RUN's plan says so).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root,
  test: {
    include: ['exercises/*/tests/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    // One worker runs the files one after another with one module graph, so the harness
    // keeps each submission's kernel for all of them (a kernel start per submission, not
    // per file). Safe: the test files are the kit's own, and student code is never loaded here.
    isolate: false,
    retry: 0,
    bail: 0,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    watch: false,
    reporters: [fileURLToPath(new URL('./reporter.ts', import.meta.url))],
  },
});
