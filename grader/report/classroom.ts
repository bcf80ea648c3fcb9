/**
 * The class outputs: index.html (dashboard for the lecturer), grades.csv and summary.json.
 * The dashboard is for staff: it names hidden tests (with their visibility marked).
 */
import { join } from 'node:path';
import { isWithheld, type Result, type Summary } from '../result.ts';
import { ATTENTION_KINDS, ATTENTION_LABEL, attentionRank, type AttentionKind } from './attention.ts';
import { byStudent, renderGradesCsv, type AwaitingPolicy } from './csv.ts';
import { renderHistogramSvg } from './histogram-svg.ts';
import { computeSummary } from './summary.ts';
import { safe, template } from './templates.ts';
import { num, oneLine, percent, plural, utc } from './text.ts';
import type { ComparisonView } from '../study/study.ts';
import { studentHref } from '../class-folder.ts';
import type { ExerciseProgress } from '../progress-log/summary.ts';
import { HAZARDS, HAZARD_LABEL } from '../progress-log/log.ts';

/** Evidence on how easy an exercise was, gathered elsewhere (e.g. from check/submit logs). */
/** What a grading run knew beside the results (kept in summary.json, so later rewrites keep it). */
export interface ClassRun {
  /** The exercises graded, and whether the submissions decided them (no --exercise). */
  exercises?: { ids: string[]; inferred: boolean };
  /** Entries of class folders that were not taken: not a submission (a loose file), or another submission for a student already taken. */
  skipped?: { entry: string; reason: string }[];
}

export interface ClassOptions {
  /** What the grading run knew beside the results. */
  run?: ClassRun;
  /** Page title; default "Message-passing exercises: class results". */
  title?: string;
  /** ISO time written into summary.json and the page; default now. */
  generatedAt?: string;
  /** Optional "ease-of-use evidence" per exercise id; the section is rendered only when given. */
  progress?: Record<string, ExerciseProgress>;
  /** Study pairs shown side by side (grader/study/study.ts); the section is rendered only when given. */
  comparisons?: readonly ComparisonView[];
  /** grades.csv for students with manual items awaiting marking (see csv.ts); default 'blank'. */
  awaiting?: AwaitingPolicy;
}

export interface ClassReport {
  indexHtml: string;
  gradesCsv: string;
  summary: Summary;
}

const STATUS_LABEL = {
  graded: '',
  missing: 'not submitted',
  unreadable: 'could not read',
  'compile-error': 'does not compile',
  error: 'grading error',
} as const;

export function renderClass(results: readonly Result[], opts: ClassOptions = {}): ClassReport {
  const generatedAt = opts.generatedAt ?? new Date().toISOString();
  const summary = computeSummary(results, generatedAt, opts.run && { ...opts.run, skipped: opts.run.skipped ?? [] });
  const exTitle = new Map(summary.exercises.map((e) => [e.id, e.title]));
  const attentionOf = new Map(summary.attention.map((a) => [a.student, a.reasons]));

  const tests = [...summary.tests]
    .map((t, i) => ({ t, i, rate: t.n === 0 ? 1 : t.passed / t.n }))
    .sort((a, b) => a.rate - b.rate || b.t.n - a.t.n || a.i - b.i)
    .map(({ t, rate }) => ({
      exercise: oneLine(exTitle.get(t.exercise) ?? t.exercise),
      name: oneLine(t.name),
      group: oneLine(t.group),
      visibility: t.visibility,
      visibilityNote: t.visibility === 'visible' ? '' : t.visibility === 'hidden' ? 'hidden' : 'name only',
      max: num(t.max),
      hasData: t.n > 0,
      passRate: t.n === 0 ? '–' : `${Math.round(rate * 100)}%`,
      counts: `${t.passed} / ${t.n}`,
      barWidth: `${Math.round(rate * 100)}%`,
      errors: t.error > 0 ? plural(t.error, 'error') : null,
      topProperty: t.failedProperties[0] ? `${oneLine(t.failedProperties[0].property)} (${t.failedProperties[0].students})` : null,
      failedCount: t.failedStudents.length > 0 ? `${plural(t.failedStudents.length, 'student')} did not pass` : null,
      failed: t.failedStudents.map((student) => ({ student: oneLine(student), href: studentHref(student) })),
    }));

  const students = byStudent(results).map((r) => {
    const reasons = attentionOf.get(r.student) ?? [];
    const withheld = isWithheld(r);
    return {
      student: oneLine(r.student),
      href: studentHref(r.student),
      withheld,
      total: withheld ? '—' : num(r.total.score),
      max: num(r.total.max),
      percent: withheld ? 'withheld' : percent(r.total.score, r.total.max),
      // Sort keys (the table sorts in the browser): a withheld total sorts below every mark.
      sortTotal: withheld ? '-1' : String(r.total.score),
      sortRank: String(attentionRank(reasons)),
      kinds: reasons.map((x) => x.kind).join(' '),
      awaiting: r.total.awaiting > 0 ? num(r.total.awaiting) : null,
      exercises: summary.exercises.map((e) => {
        const x = r.exercises.find((y) => y.id === e.id);
        return x
          ? {
              score: x.status === 'error' ? '—' : num(x.score),
              sort: x.status === 'error' ? '-1' : String(x.score),
              note: STATUS_LABEL[x.status] || null,
              typeErrors: x.status === 'graded' && (x.typeErrors ?? 0) > 0 ? plural(x.typeErrors!, 'type error') : null,
              cls: x.status === 'graded' ? '' : x.status === 'error' ? 'withheld' : 'bad',
            }
          : { score: '–', sort: '-2', note: null, typeErrors: null, cls: '' };
      }),
      reasons: reasons.map((x) => ({ label: ATTENTION_LABEL[x.kind as AttentionKind] ?? x.kind, cls: x.kind })),
      sandboxWeaker: r.sandbox.level !== 'bwrap',
      sandbox: r.sandbox.level,
      issues: r.warnings.length + r.notes.length > 0 ? plural(r.warnings.length + r.notes.length, 'warning or note', 'warnings or notes') : null,
      duplicate: (r.duplicates ?? []).length > 0,
    };
  });

  const progress = opts.progress
    ? Object.entries(opts.progress).map(([id, p]) => ({
        exercise: oneLine(exTitle.get(id) ?? id),
        attempts: num(p.attemptsToFirstFullPass.median),
        attemptsN: String(p.attemptsToFirstFullPass.n),
        hours: num(p.workingSpanHours.median),
        properties: p.firstFailedProperties.map((f) => ({ property: oneLine(f.property), students: String(f.students) })),
      }))
    : null;

  const comparisons =
    opts.comparisons && opts.comparisons.length > 0
      ? opts.comparisons.map((c) => {
          const [a, b] = c.sides;
          const list = (xs: readonly { property: string; students: number }[]) =>
            xs.length
              ? xs
                  .slice(0, 3)
                  .map((x) => `${oneLine(x.property)} (${x.students})`)
                  .join('; ')
              : '–';
          const row = (label: string, f: (s: typeof a) => string) => ({ label, a: f(a), b: f(b) });
          return {
            title: oneLine(`${exTitle.get(a.exercise) ?? a.exercise}  vs  ${exTitle.get(b.exercise) ?? b.exercise}`),
            question: oneLine(c.comparison.question),
            a: oneLine(exTitle.get(a.exercise) ?? a.exercise),
            b: oneLine(exTitle.get(b.exercise) ?? b.exercise),
            rows: [
              row('Students with logged runs of their own code', (s) => String(s.students)),
              row('Test runs to the first full public pass (median)', (s) => (s.attempts.n === 0 ? '–' : `${num(s.attempts.median)} (n = ${s.attempts.n})`)),
              row('Working span, first to last run (median hours)', (s) => (s.students === 0 ? '–' : num(s.workingSpanHours))),
              row('Failed first', (s) => list(s.firstFailed)),
              row('Failed longest (students; median runs)', (s) =>
                s.longestFailed.length
                  ? s.longestFailed
                      .slice(0, 3)
                      .map((x) => `${oneLine(x.property)} (${x.students}; ${num(x.medianRuns)})`)
                      .join('; ')
                  : '–',
              ),
              ...HAZARDS.map((h) =>
                row(`Met ${HAZARD_LABEL[h]}`, (s) =>
                  s.students === 0 ? '–' : `${Math.round(s.hazards[h].share * 100)}% (${s.hazards[h].students} of ${s.students})`,
                ),
              ),
              row('Graded marks: mean, median (share of the maximum)', (s) =>
                s.marks.graded === 0
                  ? '–'
                  : `${Math.round(s.marks.meanShare * 100)}%, ${Math.round(s.marks.medianShare * 100)}% of ${num(s.marks.max)} (n = ${s.marks.graded})`,
              ),
            ],
          };
        })
      : null;

  const kindsPresent = ATTENTION_KINDS.filter((k) => summary.attention.some((a) => a.reasons.some((x) => x.kind === k)));
  const exercisesLine = summary.run?.exercises
    ? `${summary.run.exercises.ids.map((id) => exTitle.get(id) ?? id).join(', ')}${summary.run.exercises.inferred ? ' (found in the submissions: no exercise was named)' : ''}`
    : summary.exercises.map((e) => e.title).join(', ');

  const view = {
    title: opts.title ?? 'Message-passing exercises: class results',
    generatedAt: utc(generatedAt),
    kitVersions: summary.kitVersions.join(', ') || '–',
    studentCount: plural(summary.studentCount, 'student'),
    exercisesLine: oneLine(exercisesLine),
    warnings: summary.warnings,
    // With every mark withheld there is nothing to average: a dash, not a 0.
    totals:
      summary.studentCount > summary.gradingErrors.length
        ? {
            mean: num(summary.totals.mean),
            median: num(summary.totals.median),
            min: num(summary.totals.min),
            max: num(summary.totals.max),
            outOf: num(summary.max),
          }
        : { mean: '–', median: '–', min: '–', max: '–', outOf: num(summary.max) },
    provisional: summary.provisional > 0 ? plural(summary.provisional, 'student') : null,
    gradingErrors: summary.gradingErrors.map((g) => ({
      student: oneLine(g.student),
      href: studentHref(g.student),
      exercises: g.exercises.join(', '),
      reason: oneLine(g.reason),
    })),
    attention: summary.attention.map((a) => ({
      student: oneLine(a.student),
      href: studentHref(a.student),
      reasons: a.reasons.map((x) => ({ label: ATTENTION_LABEL[x.kind as AttentionKind] ?? x.kind, cls: x.kind, text: oneLine(x.text) })),
    })),
    attentionCount: plural(summary.attention.length, 'student'),
    attentionFilters: kindsPresent.map((k) => ({ kind: k, label: ATTENTION_LABEL[k] })),
    notTaken: [
      ...summary.duplicates.flatMap((d) => d.notes.map((n) => ({ href: studentHref(d.student), student: oneLine(d.student), text: oneLine(n) }))),
      ...(summary.run?.skipped ?? [])
        .filter((s) => !/second submission/.test(s.reason))
        .map((s) => ({ href: null, student: oneLine(s.entry), text: oneLine(s.reason) })),
    ],
    histogram: safe(
      renderHistogramSvg(summary.histogram.bins, {
        id: 'hist',
        title: `Distribution of totals (out of ${num(summary.max)}) for ${plural(summary.studentCount, 'student')}`,
      }),
    ),
    bins: summary.histogram.bins.map((b, i, all) => ({
      range: `${num(b.from)} – ${num(b.to)}${i === all.length - 1 ? ' (inclusive)' : ''}`,
      count: String(b.count),
    })),
    exercises: summary.exercises.map((e) => ({
      id: e.id,
      title: oneLine(e.title),
      max: num(e.max),
      mean: num(e.mean),
      meanPercent: percent(e.mean, e.max),
      median: num(e.median),
      fullMarks: String(e.fullMarks),
      graded: String(e.status.graded),
      missing: String(e.status.missing),
      unreadable: String(e.status.unreadable),
      compileError: String(e.status['compile-error']),
      typeErrors: String(e.typeErrors),
      error: String(e.status.error),
    })),
    tests,
    students,
    progress,
    comparisons,
  };

  return {
    indexHtml: template('class.html.hbs')(view),
    gradesCsv: renderGradesCsv(results, opts.awaiting),
    summary,
  };
}
