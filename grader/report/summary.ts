/** The class summary (summary.json): totals, histogram, per-exercise and per-test statistics. */
import { isWithheld, type HistogramBin, type Result, type Summary } from '../result.ts';
import { attentionFor, attentionRank } from './attention.ts';
import { byStudent, exerciseIds } from './csv.ts';
import { mean, median, round2 } from '../stats.ts';

/** A bin width of 1, 2, 2.5 or 5 × 10^k giving at most `maxBins` bins over [0, max]. */
export function binWidth(max: number, maxBins = 10): number {
  if (!(max > 0)) return 1;
  for (let p = 10 ** Math.floor(Math.log10(max / maxBins)); ; p *= 10) {
    for (const m of [1, 2, 2.5, 5]) if (Math.ceil(max / (m * p)) <= maxBins) return m * p;
  }
}

/** Bins [from, to) over [0, max], the last one closed; every score lands in exactly one bin. */
export function histogram(scores: readonly number[], max: number, maxBins = 10): { binWidth: number; bins: HistogramBin[] } {
  const top = Math.max(max, ...scores, 0);
  const width = binWidth(top, maxBins);
  const n = Math.max(1, Math.ceil(top / width));
  const bins = Array.from({ length: n }, (_, i) => ({ from: round2(i * width), to: round2((i + 1) * width), count: 0 }));
  for (const s of scores) bins[Math.min(n - 1, Math.max(0, Math.floor(s / width)))]!.count++;
  return { binWidth: width, bins };
}

const isMarked = (m: Result['manual'][number]) => m.status === 'marked' && m.score !== undefined;

export function computeSummary(results: readonly Result[], generatedAt = new Date().toISOString(), run?: Summary['run']): Summary {
  const sorted = byStudent(results);
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (const r of sorted) {
    if (seen.has(r.student)) warnings.push(`Student "${r.student}" appears more than once.`);
    seen.add(r.student);
  }
  const kitVersions = [...new Set(results.map((r) => r.kit.version))].sort();
  if (kitVersions.length > 1) warnings.push(`Results come from ${kitVersions.length} kit versions: ${kitVersions.join(', ')}.`);

  // A withheld result's score is not a mark: it stays out of every statistic.
  const counted = sorted.filter((r) => !isWithheld(r));
  const totals = counted.map((r) => r.total.score);
  const max = Math.max(0, ...sorted.map((r) => r.total.max));
  const ids = exerciseIds(sorted);

  const exercises = ids.map((id) => {
    const exs = sorted.flatMap((r) => r.exercises.filter((e) => e.id === id && (e.status === 'error' || !isWithheld(r))));
    const status = { graded: 0, missing: 0, unreadable: 0, 'compile-error': 0, error: 0 };
    for (const e of exs) status[e.status]++;
    const scores = exs.filter((e) => e.status !== 'error').map((e) => e.score);
    const exMax = Math.max(0, ...exs.map((e) => e.max));
    return {
      id,
      title: exs[0]?.title ?? id,
      max: exMax,
      mean: round2(mean(scores)),
      median: round2(median(scores)),
      fullMarks: exs.filter((e) => e.status !== 'error' && e.max > 0 && e.score >= e.max).length,
      status,
      typeErrors: exs.filter((e) => (e.typeErrors ?? 0) > 0).length,
    };
  });

  const classMedian = round2(median(totals));
  const attention = new Map(sorted.map((r) => [r.student, attentionFor(r, classMedian)]));

  type TestRow = Summary['tests'][number] & { props: Map<string, number> };
  const tests = new Map<string, TestRow>();
  for (const r of sorted) {
    for (const ex of r.exercises) {
      for (const t of ex.tests) {
        const key = JSON.stringify([ex.id, t.id]);
        let row = tests.get(key);
        if (!row) {
          const group = ex.groups.find((g) => g.id === t.group);
          const visibility =
            group?.visibility === 'hidden' || t.visibility === 'hidden' ? 'hidden' : group?.visibility === 'name-only' ? 'name-only' : t.visibility;
          row = {
            exercise: ex.id,
            id: t.id,
            name: t.name,
            group: t.group,
            visibility,
            max: t.max,
            n: 0,
            passed: 0,
            failed: 0,
            error: 0,
            passRate: 0,
            failedProperties: [],
            failedStudents: [],
            props: new Map(),
          };
          tests.set(key, row);
        }
        if (ex.status !== 'graded' || t.status === 'grading-error') continue;
        row.n++;
        row[t.status]++;
        if (t.status !== 'passed') row.failedStudents.push(r.student);
        if (t.status !== 'passed' && t.failure) row.props.set(t.failure.property, (row.props.get(t.failure.property) ?? 0) + 1);
      }
    }
  }

  return {
    generatedAt,
    kitVersions,
    studentCount: sorted.length,
    max,
    totals: {
      mean: round2(mean(totals)),
      median: round2(median(totals)),
      min: totals.length ? Math.min(...totals) : 0,
      max: totals.length ? Math.max(...totals) : 0,
    },
    provisional: sorted.filter((r) => r.manual.some((m) => !isMarked(m))).length,
    gradingErrors: sorted.filter(isWithheld).map((r) => {
      const failed = r.exercises.filter((e) => e.status === 'error');
      return { student: r.student, exercises: failed.map((e) => e.id), reason: failed[0]?.reason ?? 'the grading machinery failed' };
    }),
    ...(run ? { run } : {}),
    duplicates: sorted.filter((r) => (r.duplicates ?? []).length > 0).map((r) => ({ student: r.student, notes: [...r.duplicates!] })),
    attention: sorted
      .filter((r) => attention.get(r.student)!.length > 0)
      .sort((a, b) => attentionRank(attention.get(a.student)!) - attentionRank(attention.get(b.student)!))
      .map((r) => ({ student: r.student, reasons: attention.get(r.student)!.map((x) => ({ kind: x.kind, text: x.text })) })),
    histogram: histogram(totals, max),
    students: sorted.map((r) => {
      const marked = r.manual.filter(isMarked);
      return {
        student: r.student,
        score: r.total.score,
        max: r.total.max,
        awaiting: r.total.awaiting,
        withheld: isWithheld(r),
        manual: {
          score: marked.reduce((s, m) => s + (m.score ?? 0), 0),
          max: r.manual.reduce((s, m) => s + m.max, 0),
          awaiting: r.manual.filter((m) => !isMarked(m)).reduce((s, m) => s + m.max, 0),
        },
        exercises: Object.fromEntries(r.exercises.map((e) => [e.id, { score: e.score, max: e.max, status: e.status, typeErrors: e.typeErrors ?? 0 }])),
        attention: attention.get(r.student)!.map((x) => x.kind),
      };
    }),
    exercises,
    tests: [...tests.values()].map(({ props, ...row }) => ({
      ...row,
      passRate: row.n === 0 ? 0 : Math.round((row.passed / row.n) * 10_000) / 10_000,
      failedProperties: [...props.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, 3)
        .map(([property, students]) => ({ property, students })),
    })),
    warnings,
  };
}
