/**
 * The student report's view model: everything the templates print, already decided (which
 * tests a student may see, labels, symbols, numbers as text), so that the templates stay
 * logic-less. Strings here are raw text; the HTML template escapes them (Handlebars `{{…}}`),
 * the Markdown renderer escapes them for Markdown. The only pre-built markup is the SVG chart,
 * built with its own escaping in chart-svg.ts.
 */
import { isWithheld, type ExerciseResult, type Failure, type ManualItem, type Result, type TestResult, type Visibility } from '../result.ts';
import { replayPowerShell } from '../../kernels/harness/replay.ts';
import { renderChartSvg } from './chart-svg.ts';
import { renderChartText } from './chart-text.ts';
import { clean, duration, num, oneLine, percent, plural, seedsLine, utc } from './text.ts';
import { groupTests } from './visibility.ts';

export interface FailureView {
  property: string;
  observed: string;
  seed: string;
  replay: string;
  /** The same command for PowerShell (Windows). */
  replayPowerShell: string;
  hasChart: boolean;
  chartCount: string;
  chartText: string;
  /** Markup built by renderChartSvg (escaped there). */
  chartSvg: string;
}

export interface TestView {
  name: string;
  score: string;
  max: string;
  passed: boolean;
  symbol: string;
  statusLabel: string;
  statusClass: string;
  /** visible: message, seeds and failure details may be shown. */
  details: boolean;
  /** Failed with the same words as other tests of the exercise: said once, in `repeated`. */
  same: boolean;
  /** name-only and not passed: say that details are withheld. */
  withheld: boolean;
  message: string | null;
  seeds: string | null;
  failure: FailureView | null;
}

export interface GroupView {
  name: string;
  score: string;
  max: string;
  symbol: string;
  statusClass: string;
  /** The whole group is hidden: only its score is shown. */
  hidden: boolean;
  tests: TestView[];
  /** Some (not all) of its tests are hidden. */
  someHidden: boolean;
}

/** Tests of one exercise that failed with the same words: shown once. */
export interface RepeatedFailure {
  observed: string;
  count: string;
  tests: string;
  /** Failing seed and replay command of the first of them, when it has them. */
  seed: string | null;
  replay: string | null;
}

/** The compiler's messages for one exercise, shown once at the top of the report. */
export interface CompilerView {
  title: string;
  summary: string;
  lines: { location: string; message: string }[];
  diagnosticsText: string;
}

export interface ExerciseView {
  anchor: string;
  number: string;
  id: string;
  title: string;
  score: string;
  max: string;
  percent: string;
  symbol: string;
  statusLabel: string;
  statusClass: string;
  missing: boolean;
  unreadable: boolean;
  compileError: boolean;
  error: boolean;
  reason: string | null;
  /** How many compiler messages are at the top of the report for this exercise ("2 type errors"). */
  diagnosticsNote: string | null;
  repeated: RepeatedFailure[];
  showGroups: boolean;
  groups: GroupView[];
  /** A local preview: what only grading checks ("Timeouts: 3 hidden tests, 4 points"). */
  gradedOnly: { group: string; detail: string }[];
  gradedOnlyPoints: string | null;
}

export interface ManualView {
  title: string;
  exercise: string | null;
  marked: boolean;
  score: string | null;
  max: string;
  comment: string | null;
  symbol: string;
  statusLabel: string;
}

export interface StudentView {
  student: string;
  kitVersion: string;
  submission: string;
  gradedAt: string;
  duration: string;
  total: { score: string; max: string; percent: string; awaiting: string | null };
  /** A grading error: the machinery could not run every test, so the marks are withheld (not 0). */
  withheld: boolean;
  sandbox: { level: string; description: string; weaker: boolean; label: string };
  warnings: string[];
  notes: string[];
  /** Other submissions of this student that were not graded. */
  duplicates: string[];
  /** Compiler messages (syntax, refused imports, type errors), per exercise that has any. */
  compiler: CompilerView[];
  exercises: ExerciseView[];
  manual: { any: boolean; items: ManualView[]; score: string; max: string; awaitingCount: string | null };
}

const EXERCISE_STATUS: Record<ExerciseResult['status'], { label: string; cls: string }> = {
  graded: { label: 'graded', cls: 'graded' },
  missing: { label: 'not submitted', cls: 'missing' },
  unreadable: { label: 'could not read the submission', cls: 'bad' },
  'compile-error': { label: 'does not compile', cls: 'bad' },
  error: { label: 'grading error: marks withheld', cls: 'withheld' },
};

const GRADED_LABEL: Record<string, string> = { pass: 'full marks', partial: 'some tests failed', fail: 'no tests passed' };

const SANDBOX: Record<Result['sandbox']['level'], string> = {
  bwrap: 'isolated (bubblewrap sandbox)',
  fallback: 'weaker isolation (no bubblewrap on this host)',
  'in-process': 'no isolation (ran in the grader process)',
};

/** ✓ full marks, ✗ nothing, ◐ partial (text, so status never depends on colour alone). */
function markSymbol(score: number, max: number): { symbol: string; cls: string } {
  if (max > 0 && score >= max) return { symbol: '✓', cls: 'pass' };
  if (score > 0) return { symbol: '◐', cls: 'partial' };
  return max > 0 ? { symbol: '✗', cls: 'fail' } : { symbol: '–', cls: 'none' };
}

function failureView(f: Failure, chartId: string): FailureView {
  return {
    property: oneLine(f.property),
    observed: clean(f.observed).trim(),
    seed: String(f.seed),
    replay: oneLine(f.replay),
    replayPowerShell: oneLine(replayPowerShell(f.replay)),
    hasChart: f.chart.length > 0,
    chartCount: plural(f.chart.length, 'message'),
    chartText: renderChartText(f.chart),
    chartSvg: renderChartSvg(f.chart, {
      id: chartId,
      title: `Sequence chart: the last ${plural(f.chart.length, 'event')} before “${oneLine(f.property)}” broke (seed ${f.seed})`,
    }),
  };
}

/** `notRun`: why the tests of an exercise that was not graded did not run (missing, compile error). */
function testView(t: TestResult, visibility: Visibility, chartId: string, notRun: string | null, same: boolean): TestView {
  const passed = t.status === 'passed';
  const details = visibility === 'visible';
  const skipped = !passed && notRun !== null && !t.failure;
  if (same) {
    return {
      name: oneLine(t.name),
      score: num(t.score),
      max: num(t.max),
      passed,
      symbol: '✗',
      statusLabel: t.status === 'error' ? 'error' : 'failed',
      statusClass: 'fail',
      details,
      same: true,
      withheld: false,
      message: null,
      seeds: null,
      failure: null,
    };
  }
  return {
    name: oneLine(t.name),
    score: num(t.score),
    max: num(t.max),
    passed,
    symbol: passed ? '✓' : '✗',
    statusLabel: passed ? 'passed' : t.status === 'error' ? 'error' : t.status === 'grading-error' ? 'grading error (mark withheld)' : 'failed',
    statusClass: passed ? 'pass' : 'fail',
    details,
    same: false,
    withheld: !details && !passed,
    // Tests of an exercise that was not run say nothing each: the exercise says why, once.
    message: !details || skipped ? null : t.message ? clean(t.message).trim() : null,
    seeds: details && !passed && !skipped ? seedsLine(t) : null,
    failure: details && !passed && t.failure ? failureView(t.failure, chartId) : null,
  };
}

/** The words a student sees for a failed visible test: what groups identical failures. */
function failureWords(t: TestResult, notRun: string | null): string | null {
  if (t.status === 'passed') return null;
  if (t.failure) return clean(t.failure.observed).trim();
  if (t.message) return clean(t.message).trim();
  return notRun;
}

function diagnosticsSummary(ex: ExerciseResult): string {
  const types = ex.typeErrors ?? 0;
  const other = ex.diagnostics.length - types;
  const parts = [];
  if (other > 0) parts.push(plural(other, ex.status === 'compile-error' ? 'error' : 'message'));
  if (types > 0) parts.push(plural(types, 'type error'));
  return parts.join(' and ') || plural(ex.diagnostics.length, 'message');
}

function exerciseView(ex: ExerciseResult, index: number): ExerciseView {
  const st = EXERCISE_STATUS[ex.status];
  const mark = markSymbol(ex.score, ex.max);
  let chart = 0;
  const notRun =
    ex.status === 'compile-error'
      ? 'Not run: the code does not compile.'
      : ex.status === 'missing'
        ? 'Not run: not submitted.'
        : ex.status === 'unreadable'
          ? 'Not run: the submission could not be read.'
          : null;
  const grouped = groupTests(ex);
  // Visible failures with the same words (code that throws while loading fails every test
  // alike): said once for the exercise, each such test then only named. An exercise whose
  // tests did not run at all says why once, above.
  const byWords = new Map<string, TestResult[]>();
  if (notRun === null)
    for (const { tests } of grouped) {
      for (const { test, visibility } of tests) {
        const words = visibility === 'visible' ? failureWords(test, notRun) : null;
        if (words !== null && words !== '') byWords.set(words, [...(byWords.get(words) ?? []), test]);
      }
    }
  const repeatedTests = new Set([...byWords.values()].filter((ts) => ts.length > 1).flat());
  const repeated: RepeatedFailure[] = [...byWords.entries()]
    .filter(([, ts]) => ts.length > 1)
    .map(([text, ts]) => {
      const first = ts.find((t) => t.failure) ?? ts[0]!;
      return {
        observed: text,
        count: plural(ts.length, 'test'),
        tests: ts.map((t) => oneLine(t.name)).join(' · '),
        seed: first.failure ? String(first.failure.seed) : null,
        replay: first.failure ? oneLine(first.failure.replay) : null,
      };
    });
  const groups: GroupView[] = grouped.map(({ group, tests }) => {
    const gm = markSymbol(group.score, group.max);
    const hidden = group.visibility === 'hidden';
    const shown = hidden ? [] : tests.filter((t) => t.visibility !== 'hidden');
    return {
      name: oneLine(group.name),
      score: num(group.score),
      max: num(group.max),
      symbol: gm.symbol,
      statusClass: gm.cls,
      hidden,
      someHidden: !hidden && shown.length < tests.length,
      tests: shown.map(({ test, visibility }) => testView(test, visibility, `ex${index + 1}-chart${++chart}`, notRun, repeatedTests.has(test))),
    };
  });
  return {
    anchor: `ex-${index + 1}`,
    number: String(index + 1),
    id: oneLine(ex.id),
    title: oneLine(ex.title),
    score: ex.status === 'error' ? '—' : num(ex.score),
    max: num(ex.max),
    percent: percent(ex.score, ex.max),
    symbol: ex.status === 'graded' ? mark.symbol : ex.status === 'error' ? '…' : '✗',
    statusLabel: ex.status === 'graded' ? (GRADED_LABEL[mark.cls] ?? st.label) : st.label,
    statusClass: ex.status === 'graded' ? mark.cls : st.cls,
    missing: ex.status === 'missing',
    unreadable: ex.status === 'unreadable',
    compileError: ex.status === 'compile-error',
    error: ex.status === 'error',
    reason: ex.reason ? clean(ex.reason).trim() : null,
    diagnosticsNote: ex.diagnostics.length > 0 ? diagnosticsSummary(ex) : null,
    repeated,
    showGroups: ex.status !== 'missing' && ex.status !== 'unreadable',
    groups,
    gradedOnly: (ex.gradedOnly ?? []).map((g) => ({
      group: oneLine(g.group),
      detail: `${plural(g.tests, 'hidden test')}, ${plural(g.points, 'point')}`,
    })),
    gradedOnlyPoints: ex.gradedOnly && ex.gradedOnly.length > 0 ? num(ex.gradedOnly.reduce((a, g) => a + g.points, 0)) : null,
  };
}

function compilerView(ex: ExerciseResult): CompilerView {
  // The same message in one file, many times (a missing import): once, with every place.
  const byMessage = new Map<string, { file: string; message: string; places: { line: number; column: number }[] }>();
  for (const d of ex.diagnostics) {
    const message = clean(d.message).trim();
    const key = `${d.file}\u0000${message}`;
    const seen = byMessage.get(key);
    if (seen) seen.places.push({ line: d.line, column: d.column });
    else byMessage.set(key, { file: oneLine(d.file), message, places: [{ line: d.line, column: d.column }] });
  }
  const lines = [...byMessage.values()].map(({ file, message, places }) => {
    const [first, ...rest] = places;
    const more = [...new Set(rest.map((p) => p.line))];
    return {
      location: `${file}:${first!.line}:${first!.column}`,
      message: more.length > 0 ? `${message} (also on line${more.length > 1 ? 's' : ''} ${more.join(', ')})` : message,
    };
  });
  return {
    title: oneLine(ex.title),
    summary: `${diagnosticsSummary(ex)}${ex.status === 'compile-error' ? ': the code does not compile' : ex.status === 'graded' ? ': the code ran anyway (types are not checked at run time), but fix them' : ''}`,
    lines,
    diagnosticsText: lines.map((d) => `${d.location}  ${d.message}`).join('\n'),
  };
}

function manualView(m: ManualItem): ManualView {
  const marked = m.status === 'marked' && m.score !== undefined;
  return {
    title: oneLine(m.title),
    exercise: m.exercise ? oneLine(m.exercise) : null,
    marked,
    score: marked ? num(m.score!) : null,
    max: num(m.max),
    comment: m.comment ? clean(m.comment).trim() : null,
    symbol: marked ? markSymbol(m.score!, m.max).symbol : '…',
    statusLabel: marked ? 'marked' : 'awaiting marking',
  };
}

export function buildStudentView(r: Result): StudentView {
  const marked = r.manual.filter((m) => m.status === 'marked' && m.score !== undefined);
  const awaiting = r.manual.filter((m) => !(m.status === 'marked' && m.score !== undefined));
  return {
    student: oneLine(r.student),
    kitVersion: oneLine(r.kit.version),
    submission: oneLine(r.submission.hash)
      .replace(/^[a-z0-9-]+:/i, '')
      .slice(0, 12),
    gradedAt: utc(r.gradedAt),
    duration: duration(r.durationMs),
    total: {
      score: isWithheld(r) ? '—' : num(r.total.score),
      max: num(r.total.max),
      // Points awaiting marking are not counted as zero: the percentage is of what has been marked.
      percent: isWithheld(r)
        ? 'marks withheld: grading error'
        : r.total.awaiting > 0
          ? `${percent(r.total.score, r.total.max - r.total.awaiting)} of the ${num(r.total.max - r.total.awaiting)} points marked so far`
          : percent(r.total.score, r.total.max),
      awaiting: r.total.awaiting > 0 ? num(r.total.awaiting) : null,
    },
    withheld: isWithheld(r),
    sandbox: {
      level: r.sandbox.level,
      description: oneLine(r.sandbox.description),
      weaker: r.sandbox.level !== 'bwrap',
      label: SANDBOX[r.sandbox.level],
    },
    warnings: r.warnings.map((w) => clean(w).trim()),
    notes: r.notes.map((w) => clean(w).trim()),
    duplicates: (r.duplicates ?? []).map((d) => clean(d).trim()),
    compiler: r.exercises.filter((e) => e.diagnostics.length > 0).map(compilerView),
    exercises: r.exercises.map(exerciseView),
    manual: {
      any: r.manual.length > 0,
      items: r.manual.map(manualView),
      score: num(marked.reduce((s, m) => s + (m.score ?? 0), 0)),
      max: num(r.manual.reduce((s, m) => s + m.max, 0)),
      awaitingCount: awaiting.length > 0 ? plural(awaiting.length, 'item') : null,
    },
  };
}
