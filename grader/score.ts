// Marks: a pure function of the manifest and the outcomes the tests reported. Only test
// ids the manifest knows are scored; exit codes and `success` flags are never consulted.
// A test the machinery could not run (no outcome: student code never runs in the process
// that reports; or a kernel that could not start) is a grading error: the exercise's marks
// are withheld, never recorded as 0.
import type { Manifest } from '../exercises/manifest.ts';
import type { PropertyOutcome } from '../kernels/harness/property.ts';
import type { PreparedExercise } from './prepare/prepare.ts';
import type { Redactor } from './redact.ts';
import type { ExerciseResult, GroupResult, TestResult } from './result.ts';

export function scoreExercise(
  m: Manifest,
  prepared: PreparedExercise,
  outcomes: ReadonlyMap<string, PropertyOutcome>,
  redact: Redactor,
  jobError?: string,
): ExerciseResult {
  const tests: TestResult[] = [];
  const groups: GroupResult[] = [];
  // Why the tests did not run; the exercise's `reason` says it once, the reports derive "Not run" per test.
  const notRun = prepared.status === 'ready' ? undefined : prepared.reason;
  for (const g of m.groups) {
    let groupScore = 0;
    let groupMax = 0;
    for (const [id, points] of Object.entries(g.tests)) {
      groupMax += points;
      const o = outcomes.get(id);
      const base = { id, group: g.id, visibility: g.visibility, max: points };
      if (notRun !== undefined) {
        tests.push({ ...base, name: id, status: 'failed', score: 0, seeds: { run: [], failed: [] } });
        continue;
      }
      if (o === undefined) {
        const why = jobError ? `the test run failed: ${redact.text(jobError).split('\n')[0]}` : 'this test reported no result';
        tests.push({ ...base, name: id, status: 'grading-error', score: 0, seeds: { run: [], failed: [] }, message: `Grading error (${why}); this mark is withheld.` });
        continue;
      }
      if (o.infrastructure !== undefined) {
        tests.push({ ...base, name: o.name, status: 'grading-error', score: 0, seeds: o.seeds, message: `Grading error (${o.infrastructure}); this mark is withheld.` });
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
  const reason = status === 'error' && prepared.status === 'ready'
    ? `the grading machinery failed on ${gradingErrors.length === tests.length ? 'every test' : `${gradingErrors.length} of ${tests.length} tests`}: ` +
      `${gradingErrors[0]!.message!.replace(/^Grading error \((.*)\); this mark is withheld\.$/s, '$1')}. ` +
      'Not the submission\'s fault: its marks are withheld until it is graded again.'
    : prepared.reason && redact.text(prepared.reason);
  return {
    id: m.id,
    title: m.title,
    score: groups.reduce((a, g) => a + g.score, 0),
    max: groups.reduce((a, g) => a + g.max, 0),
    status,
    reason,
    diagnostics: prepared.diagnostics.map((d) => ({ ...d, message: redact.text(d.message) })),
    groups,
    tests,
  };
}
