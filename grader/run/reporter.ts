// Collects what the grader scores: the outcome each property test left in its task meta,
// plus the bare state of every test, written to MP_RESULTS. It runs in vitest's main
// process (trusted). Exit codes and `success` flags are not used by the grader.
import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';
import type { PropertyOutcome } from '../../kernels/harness/property.ts';

export interface CollectedTest {
  readonly file: string;
  readonly name: string;
  readonly state: string;
  readonly outcome?: PropertyOutcome;
  readonly errors: string[];
}

export interface Collected {
  readonly tests: CollectedTest[];
  /** Errors outside tests (a test file that failed to load, …). */
  readonly errors: string[];
}

export default class GradingReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<{ message?: string }>): void {
    const out: Collected = { tests: [], errors: unhandledErrors.map((e) => e.message ?? 'unknown error') };
    for (const mod of testModules) {
      for (const e of mod.errors()) out.errors.push(`${mod.moduleId}: ${e.message}`);
      for (const test of mod.children.allTests()) {
        const result = test.result();
        out.tests.push({
          file: mod.moduleId,
          name: test.fullName,
          state: result.state,
          outcome: test.meta().mp,
          errors: (result.errors ?? []).map((e) => e.message ?? ''),
        });
      }
    }
    const file = process.env.MP_RESULTS;
    if (file) writeFileSync(file, JSON.stringify(out));
  }
}
