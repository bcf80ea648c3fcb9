// The grader's own vitest configuration, used by the grading slots (slot.ts). Always given
// explicitly, so nothing in a submission is ever loaded as configuration. The test process is
// trusted: it never loads student code, which runs only in sandboxed process kernels (MP_RUN's
// plan says so).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import type { TestSpecification } from 'vitest/node';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Test files in path order, always: which test runs after which must not depend on earlier runs (stop-early.ts). */
class InPathOrder {
  async shard(files: TestSpecification[]): Promise<TestSpecification[]> {
    return files;
  }
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => (a.moduleId < b.moduleId ? -1 : a.moduleId > b.moduleId ? 1 : 0));
  }
}

export default defineConfig({
  root,
  resolve: {
    alias: {
      // Bundles come ready from the grader: the harness never needs the compiler here.
      typescript: fileURLToPath(new URL('./no-typescript.ts', import.meta.url)),
      // The pre-built harness (grader/prebuilt.mjs, made from the same sources) when the slot has one.
      ...(process.env.MP_HARNESS ? { '#harness': process.env.MP_HARNESS } : {}),
    },
  },
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
    setupFiles: [fileURLToPath(new URL('./stop-early.ts', import.meta.url))],
    sequence: { sequencer: InPathOrder },
  },
});
