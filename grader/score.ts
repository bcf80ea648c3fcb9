// Marks: a pure function of the manifest and the outcomes the tests reported. Only test
// ids the manifest knows are scored; exit codes and `success` flags are never consulted.
// A test the machinery could not run (no outcome: student code never runs in the process
// that reports; or a kernel that could not start) is a grading error: the exercise's marks
// are withheld, never recorded as 0. Tests not run because the submission's own kernel kept
// failing (run/stop-early.ts) are failures of the submission: they score 0, and say why.
import { exerciseDir, type Manifest } from '../kernels/harness/manifest.ts';
import type { PropertyOutcome } from '../kernels/harness/property.ts';
import type { PreparedExercise } from './prepare/prepare.ts';
import type { Redactor } from './redact.ts';
import { testNames } from './exercise-tests.ts';
import type { StoppedEarly } from './run/pipeline.ts';

const names = new Map<string, Record<string, string>>();
/** A test's name as its file gives it (for tests that left no outcome to name them); else its id. */
function nameOf(m: Manifest, id: string): string {
  let known = names.get(m.id);
  if (!known) {
    try {
      known = { ...testNames(m.id, 'hidden', exerciseDir(m.id)), ...testNames(m.id, 'public', exerciseDir(m.id)) };
    } catch {
      known = {};
    }
    names.set(m.id, known);
  }
  return known[id] ?? id;
}
import type { ExerciseResult, GroupResult, ManualItem, TestResult } from './result.ts';

export function scoreExercise(
  m: Manifest,
  prepared: PreparedExercise,
  outcomes: ReadonlyMap<string, PropertyOutcome>,
  redact: Redactor,
  jobError?: string,
  stopped?: StoppedEarly,
): ExerciseResult {
  const tests: TestResult[] = [];
  const groups: GroupResult[] = [];
  // Tests without an outcome are the ones stop-early skipped only if the counts agree;
  // otherwise something else lost them, and that is the machinery's fault.
  const ids = m.groups.flatMap((g) => Object.keys(g.tests));
  const unanswered = ids.filter((id) => !outcomes.has(id)).length;
  const notRunMessage =
    stopped && stopped.notRun === unanswered
      ? `Not run: your code stopped responding or crashed in ${stopped.after.length} tests in a row just before this one, so the rest of this exercise's tests were not run (each would have waited for it again).`
      : undefined;
  // Why the tests did not run; the exercise's `reason` says it once, the reports derive "Not run" per test.
  const notRun = prepared.status === 'ready' ? undefined : prepared.reason;
  for (const g of m.groups) {
    let groupScore = 0;
    let groupMax = 0;
    for (const [id, points] of Object.entries(g.tests)) {
      groupMax += points;
      const o = outcomes.get(id);
      const base = { id, group: g.id, visibility: g.visibility, max: points };
      const name = nameOf(m, id);
      if (notRun !== undefined) {
        tests.push({ ...base, name, status: 'failed', score: 0, seeds: { run: [], failed: [] } });
        continue;
      }
      if (o === undefined && notRunMessage !== undefined) {
        tests.push({ ...base, name, status: 'failed', score: 0, seeds: { run: [], failed: [] }, message: notRunMessage });
        continue;
      }
      if (o === undefined) {
        const why = jobError ? `the test run failed: ${redact.text(jobError).split('\n')[0]}` : 'this test reported no result';
        tests.push({
          ...base,
          name,
          status: 'grading-error',
          score: 0,
          seeds: { run: [], failed: [] },
          message: `Grading error (${why}); this mark is withheld.`,
        });
        continue;
      }
      if (o.infrastructure !== undefined) {
        tests.push({
          ...base,
          name: o.name,
          status: 'grading-error',
          score: 0,
          seeds: o.seeds,
          message: `Grading error (${o.infrastructure}); this mark is withheld.`,
        });
        continue;
      }
      if (o.error !== undefined) {
        tests.push({ ...base, name: o.name, status: 'error', score: 0, seeds: o.seeds, message: redact.text(o.error) });
        continue;
      }
      const passed = o.failure === undefined && o.seeds.run.length > 0 && o.seeds.failed.length === 0;
      if (passed) groupScore += points;
      tests.push({
        ...base,
        name: o.name,
        status: passed ? 'passed' : o.kernelFailure ? 'error' : 'failed',
        score: passed ? points : 0,
        seeds: o.seeds,
        failure: o.failure && {
          property: redact.text(o.failure.property),
          observed: redact.text(o.failure.observed),
          seed: o.failure.seed,
          replay: o.failure.replay,
          chart: o.failure.chart.map((c) => ({ t: c.t, kind: c.kind, from: c.from, to: c.to, label: redact.text(c.label), detail: redact.text(c.detail) })),
        },
      });
    }
    groups.push({ id: g.id, name: g.name, score: groupScore, max: groupMax, visibility: g.visibility });
  }
  const gradingErrors = tests.filter((t) => t.status === 'grading-error');
  const status = prepared.status === 'ready' ? (gradingErrors.length > 0 ? 'error' : 'graded') : prepared.status;
  const reason =
    status === 'error' && prepared.status === 'ready'
      ? `the grading machinery failed on ${gradingErrors.length === tests.length ? 'every test' : `${gradingErrors.length} of ${tests.length} tests`}: ` +
        `${gradingErrors[0]!.message!.replace(/^Grading error \((.*)\); this mark is withheld\.$/s, '$1')}. ` +
        "Not the submission's fault: its marks are withheld until it is graded again."
      : prepared.reason && redact.text(prepared.reason);
  return {
    id: m.id,
    title: m.title,
    score: groups.reduce((a, g) => a + g.score, 0),
    max: groups.reduce((a, g) => a + g.max, 0),
    status,
    reason,
    diagnostics: prepared.diagnostics.map((d) => ({ ...d, message: redact.text(d.message) })),
    ...(prepared.typeErrors !== undefined ? { typeErrors: prepared.typeErrors } : {}),
    groups,
    tests,
  };
}

/** The manually marked items of the manifests, all awaiting the lecturer (the grader never marks them). */
export function awaitingManual(manifests: readonly Manifest[]): ManualItem[] {
  return manifests.flatMap((m) =>
    m.manual.map((item) => ({ id: `${m.id}.${item.id}`, exercise: m.id, title: item.title, max: item.points, status: 'awaiting' as const })),
  );
}
