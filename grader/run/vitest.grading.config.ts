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
    retry: 0,
    bail: 0,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    watch: false,
    reporters: [fileURLToPath(new URL('./reporter.ts', import.meta.url))],
  },
});
