// Marks: a pure function of the manifest and the outcomes the tests reported. Only test
// ids the manifest knows are scored; a test with no outcome counts as failed; exit codes
// and `success` flags are never consulted.
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
        tests.push({ ...base, name: id, status: 'error', score: 0, seeds: { run: [], failed: [] }, message: jobError ? `Not run: ${redact.text(jobError)}` : 'This test reported no result, so it counts as failed.' });
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
  const status = prepared.status === 'ready' ? (jobError && outcomes.size === 0 ? 'error' : 'graded') : prepared.status;
  return {
    id: m.id,
    title: m.title,
    score: groups.reduce((a, g) => a + g.score, 0),
    max: groups.reduce((a, g) => a + g.max, 0),
    status,
    reason: status === 'error' ? redact.text(jobError) : prepared.reason && redact.text(prepared.reason),
    diagnostics: prepared.diagnostics.map((d) => ({ ...d, message: redact.text(d.message) })),
    groups,
    tests,
  };
}
