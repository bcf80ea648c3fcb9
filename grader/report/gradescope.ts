/**
 * Gradescope's `results.json` from a Result: one test entry per rubric test, numbered
 * "<exercise>.<test>" (1-based, in the manifest's order), tagged [exercise id, group id].
 *
 * Visibility: `visible` → "visible" with the full feedback (property, observed, seed, replay,
 * chart as text); `name-only` → "visible" with output reduced to passed/failed; `hidden` (the
 * test's or its group's) → "hidden", and even then neither its name nor its details are written:
 * the entry is "hidden test k" of its group, so nothing hidden leaks if the file is shared.
 * Group points stay visible in the top-level output, as in the HTML report.
 *
 * Manual items that are marked become entries tagged "manual" (number "M.k"); items awaiting
 * marking get no entry (Gradescope has no "not yet") and are listed in the top-level output.
 * Output is plain text (`output_format: "text"`), cleaned of control characters.
 */
import { isWithheld, type ExerciseResult, type GradescopeResults, type GradescopeTest, type Result, type TestResult } from '../result.ts';
import { renderChartText } from './chart-text.ts';
import { clean, num, oneLine, seedsLine } from './text.ts';
import { groupTests } from './visibility.ts';

const indent = (s: string, by = '  ') =>
  s
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');

function notRun(ex: ExerciseResult): string | null {
  if (ex.status === 'missing') return 'Not run: this exercise was not submitted.';
  if (ex.status === 'unreadable') return 'Not run: the submission could not be read.';
  if (ex.status === 'compile-error') return 'Not run: this exercise does not compile (the compiler messages are at the top).';
  return null;
}

function visibleOutput(t: TestResult, ex: ExerciseResult): string {
  const passed = t.status === 'passed';
  const parts: string[] = [
    passed ? '✓ passed' : t.status === 'error' ? '✗ error' : t.status === 'grading-error' ? '… grading error (mark withheld)' : '✗ failed',
  ];
  const skipped = passed ? null : notRun(ex);
  if (skipped && !t.failure) parts.push(skipped);
  if (t.message) parts.push(clean(t.message).trim());
  const f = passed ? undefined : t.failure;
  if (f) {
    parts.push(`Property: ${oneLine(f.property)}`, clean(f.observed).trim(), `seed ${f.seed} · replay: ${oneLine(f.replay)}`);
    const seeds = seedsLine(t);
    if (seeds) parts.push(seeds);
    if (f.chart.length > 0) parts.push(`last messages before the check:\n${indent(renderChartText(f.chart))}`);
  } else {
    const seeds = seedsLine(t);
    if (seeds && !skipped) parts.push(seeds);
  }
  return parts.join('\n');
}

function overview(r: Result): string {
  const out: string[] = [];
  if (isWithheld(r)) {
    out.push(
      'GRADING ERROR: the grading machinery could not run every test of this submission, so no mark is given yet (this is not a 0).',
      'Your lecturer has been told; it will be graded again.',
      '',
    );
  }
  out.push(
    `Total: ${num(r.total.score)} / ${num(r.total.max)}` +
      (r.total.awaiting > 0 ? ` (${num(r.total.awaiting)} more points awaiting manual marking, not counted as zero)` : ''),
  );
  out.push(`Sandbox: ${r.sandbox.level} (${oneLine(r.sandbox.description)})`);
  out.push(`Kit ${oneLine(r.kit.version)} · submission ${oneLine(r.submission.hash)}`);
  for (const ex of r.exercises) {
    const status =
      ex.status === 'graded'
        ? (ex.typeErrors ?? 0) > 0
          ? ` · ${ex.typeErrors} type error${ex.typeErrors === 1 ? '' : 's'}`
          : ''
        : ex.status === 'missing'
          ? ' · not submitted'
          : ex.status === 'unreadable'
            ? ' · could not read the submission'
            : ex.status === 'compile-error'
              ? ' · does not compile'
              : ' · could not be graded';
    out.push('', `${oneLine(ex.title)}: ${num(ex.score)} / ${num(ex.max)}${status}`);
    if (ex.reason) out.push(indent(clean(ex.reason).trim()));
    for (const d of ex.diagnostics) out.push(indent(`${oneLine(d.file)}:${d.line}:${d.column}  ${clean(d.message).trim()}`));
    for (const { group, listed } of groupTests(ex)) if (listed) out.push(`  ${oneLine(group.name)}: ${num(group.score)} / ${num(group.max)}`);
  }
  const awaiting = r.manual.filter((m) => !(m.status === 'marked' && m.score !== undefined));
  if (awaiting.length > 0) {
    out.push('', 'Awaiting manual marking (not counted as zero):');
    for (const m of awaiting) out.push(`  ${oneLine(m.title)} (${num(m.max)} points)`);
  }
  if (r.warnings.length > 0) out.push('', 'Warnings:', ...r.warnings.map((w) => indent(`- ${clean(w).trim()}`)));
  if (r.notes.length > 0) out.push('', 'Notes from intake:', ...r.notes.map((w) => indent(`- ${clean(w).trim()}`)));
  if ((r.duplicates ?? []).length > 0)
    out.push('', 'More than one submission was found for you; only one was graded:', ...r.duplicates!.map((w) => indent(`- ${clean(w).trim()}`)));
  return out.join('\n');
}

export function renderGradescope(result: Result): GradescopeResults {
  const tests: GradescopeTest[] = [];
  result.exercises.forEach((ex, e) => {
    let k = 0;
    for (const { group, tests: ts } of groupTests(ex)) {
      let hiddenK = 0;
      for (const { test: t, visibility } of ts) {
        k++;
        const status = t.status === 'passed' ? 'passed' : 'failed';
        const base = { score: t.score, max_score: t.max, status, number: `${e + 1}.${k}`, tags: [ex.id, t.group] } as const;
        if (visibility === 'hidden') {
          tests.push({
            ...base,
            tags: [...base.tags],
            name: `${oneLine(ex.title)} › ${oneLine(group.name)} › hidden test ${++hiddenK}`,
            output: status,
            visibility: 'hidden',
          });
        } else if (visibility === 'name-only') {
          tests.push({ ...base, tags: [...base.tags], name: `${oneLine(ex.title)} › ${oneLine(t.name)}`, output: status, visibility: 'visible' });
        } else {
          tests.push({ ...base, tags: [...base.tags], name: `${oneLine(ex.title)} › ${oneLine(t.name)}`, output: visibleOutput(t, ex), visibility: 'visible' });
        }
      }
    }
  });
  result.manual.forEach((m, i) => {
    if (m.status !== 'marked' || m.score === undefined) return;
    tests.push({
      score: m.score,
      max_score: m.max,
      status: m.score >= m.max ? 'passed' : 'failed',
      name: `Marked by hand › ${oneLine(m.title)}`,
      number: `M.${i + 1}`,
      output: m.comment ? clean(m.comment).trim() : '',
      tags: m.exercise ? [m.exercise, 'manual'] : ['manual'],
      visibility: 'visible',
    });
  });
  // Withheld marks carry no score at all: Gradescope shows the submission as not graded.
  if (isWithheld(result)) for (const t of tests) delete t.score;
  return {
    ...(isWithheld(result) ? {} : { score: Math.round(tests.reduce((s, t) => s + (t.score ?? 0), 0) * 100) / 100 }),
    execution_time: Math.round(result.durationMs / 1000),
    output: overview(result),
    output_format: 'text',
    test_output_format: 'text',
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests,
  };
}
