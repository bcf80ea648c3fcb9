// Collects what the grader scores: the outcome each property test left in its task meta,
// plus the bare state of every test. It runs in the grading slot's vitest main process
// (trusted: no student code runs there). Exit codes and `success` flags are not used.
import type { TestModule } from 'vitest/node';
import type { PropertyOutcome } from '../../kernels/harness/property.ts';
import type { Stopped } from './stop-early.ts';

export interface CollectedTest {
  readonly file: string;
  readonly name: string;
  readonly state: string;
  readonly outcome?: PropertyOutcome;
  /** Set on a test not run because its submission's kernel failed too often (stop-early.ts). */
  readonly stopped?: Stopped;
  /** How long the test ran (ms): part of its submission's own grading time. */
  readonly durationMs: number;
  readonly errors: string[];
}

export interface Collected {
  readonly tests: CollectedTest[];
  /** Errors outside tests (a test file that failed to load, …). */
  readonly errors: string[];
}

export function collect(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<{ message?: string }>): Collected {
  const out: Collected = { tests: [], errors: unhandledErrors.map((e) => e.message ?? 'unknown error') };
  for (const mod of testModules) {
    for (const e of mod.errors()) out.errors.push(`${mod.moduleId}: ${e.message}`);
    for (const test of mod.children.allTests()) {
      const result = test.result();
      const meta = test.meta() as { mp?: PropertyOutcome; mpStopped?: Stopped };
      out.tests.push({
        file: mod.moduleId,
        name: test.fullName,
        state: result.state,
        outcome: meta.mp,
        stopped: meta.mpStopped,
        durationMs: test.diagnostic()?.duration ?? 0,
        errors: (result.errors ?? []).map((e) => e.message ?? ''),
      });
    }
  }
  return out;
}
