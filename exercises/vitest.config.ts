import { defineConfig } from 'vitest/config';

// Runs an exercise's public and hidden tests against one submission folder, in-process:
//   MP_SUBMISSION=solutions/ring npx vitest run --config exercises/vitest.config.ts exercises/ring
// (The grader uses its own config and sandboxed process kernels.)
export default defineConfig({
  test: {
    include: ['exercises/*/tests/**/*.test.ts'],
    root: new URL('..', import.meta.url).pathname,
    retry: 0,
    bail: 0,
    testTimeout: 60_000,
  },
});
