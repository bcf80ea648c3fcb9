// A setup file of grading runs (see vitest.grading.config.ts). A submission whose kernel
// failed (stopped responding, crashed, ran out of memory or CPU, tampered with its channel) in
// `stopAfter` tests in a row is not tested further in this run: each later test would most
// likely wait out the same budget again, and every student graded after it with it. The
// tests not run score 0 and the report says why (grader/score.ts). Tests run in a fixed
// order (the grading config's sequencer), so a submission always stops at the same test and
// its marks stay the same from run to run.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach } from 'vitest';
import type { PropertyOutcome, RunPlan } from '../../kernels/harness/property.ts';

/** The run plan of a grading slot: the harness's, and when to stop testing a submission. */
export interface GradingPlan extends RunPlan {
  /** Stop testing a submission after its kernel failed in this many tests in a row (0: never). */
  readonly stopAfter: number;
}

/** Left in the meta of a test that was not run. */
export interface Stopped {
  readonly submission: string;
  /** The tests whose kernel failed, in a row, just before (their names). */
  readonly after: string[];
}

declare module 'vitest' {
  interface TaskMeta {
    mpStopped?: Stopped;
  }
}

const plan = JSON.parse(readFileSync(process.env.MP_RUN!, 'utf8')) as GradingPlan;
// Longest first, so that "ann › x" is not taken for a test of "an".
const ids = plan.submissions.map((s) => s.id).sort((a, b) => b.length - a.length);
// One vitest worker runs all the files of a grading run: the streaks live as long as it does.
const streaks: Map<string, string[]> = ((globalThis as { __mpStreaks?: Map<string, string[]> }).__mpStreaks ??= new Map());

/** A grading test's name is "<submission> › <test>" (kernels/harness/property.ts). */
const submissionOf = (name: string): string | undefined => ids.find((id) => name.startsWith(`${id} › `));

beforeEach((ctx) => {
  const id = submissionOf(ctx.task.name);
  const failed = id === undefined ? undefined : streaks.get(id);
  if (plan.stopAfter > 0 && failed !== undefined && failed.length >= plan.stopAfter) {
    ctx.task.meta.mpStopped = { submission: id!, after: [...failed] };
    ctx.skip();
  }
});

afterEach((ctx) => {
  const outcome: PropertyOutcome | undefined = ctx.task.meta.mp;
  if (outcome === undefined) return;
  const failed = streaks.get(outcome.submission) ?? [];
  if (outcome.kernelFailure && outcome.infrastructure === undefined) failed.push(outcome.name);
  else failed.length = 0;
  streaks.set(outcome.submission, failed);
});
