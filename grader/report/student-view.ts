/**
 * The student report's view model: everything the templates print, already decided (which
 * tests a student may see, labels, symbols, numbers as text), so that the templates stay
 * logic-less. Strings here are raw text; the HTML template escapes them (Handlebars `{{…}}`),
 * the Markdown renderer escapes them for Markdown. The only pre-built markup is the SVG chart,
 * built with its own escaping in chart-svg.ts.
 */
import { isWithheld, type ExerciseResult, type Failure, type ManualItem, type Result, type TestResult, type Visibility } from '../result.ts';
import { renderChartSvg } from './chart-svg.ts';
import { renderChartText } from './chart-text.ts';
import { clean, duration, num, oneLine, percent, plural, seedsLine, utc } from './text.ts';
import { groupTests } from './visibility.ts';

export interface FailureView {
  property: string;
  observed: string;
  seed: string;
  replay: string;
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
  compileError: boolean;
  error: boolean;
  reason: string | null;
  diagnostics: { location: string; message: string }[];
  diagnosticsText: string;
  showGroups: boolean;
  groups: GroupView[];
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
  exercises: ExerciseView[];
  manual: { any: boolean; items: ManualView[]; score: string; max: string; awaitingCount: string | null };
}

const EXERCISE_STATUS: Record<ExerciseResult['status'], { label: string; cls: string }> = {
  graded: { label: 'graded', cls: 'graded' },
  missing: { label: 'not submitted', cls: 'missing' },
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
function testView(t: TestResult, visibility: Visibility, chartId: string, notRun: string | null): TestView {
  const passed = t.status === 'passed';
  const details = visibility === 'visible';
  const skipped = !passed && notRun !== null && !t.failure;
  return {
    name: oneLine(t.name),
    score: num(t.score),
    max: num(t.max),
    passed,
    symbol: passed ? '✓' : '✗',
    statusLabel: passed ? 'passed' : t.status === 'error' ? 'error' : t.status === 'grading-error' ? 'grading error (mark withheld)' : 'failed',
    statusClass: passed ? 'pass' : 'fail',
    details,
    withheld: !details && !passed,
    message: !details ? null : t.message ? clean(t.message).trim() : skipped ? notRun : null,
    seeds: details && !passed && !skipped ? seedsLine(t) : null,
    failure: details && !passed && t.failure ? failureView(t.failure, chartId) : null,
  };
}

function exerciseView(ex: ExerciseResult, index: number): ExerciseView {
  const st = EXERCISE_STATUS[ex.status];
  const mark = markSymbol(ex.score, ex.max);
  let chart = 0;
  const notRun = ex.status === 'compile-error' ? 'Not run: the code does not compile.' : ex.status === 'missing' ? 'Not run: not submitted.' : null;
  const groups: GroupView[] = groupTests(ex).map(({ group, tests }) => {
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
      tests: shown.map(({ test, visibility }) => testView(test, visibility, `ex${index + 1}-chart${++chart}`, notRun)),
    };
  });
  const diagnostics = ex.diagnostics.map((d) => ({ location: `${oneLine(d.file)}:${d.line}:${d.column}`, message: clean(d.message).trim() }));
  return {
    anchor: `ex-${index + 1}`,
    number: String(index + 1),
    id: oneLine(ex.id),
    title: oneLine(ex.title),
    score: ex.status === 'error' ? '—' : num(ex.score),
    max: num(ex.max),
    percent: percent(ex.score, ex.max),
    symbol: ex.status === 'graded' ? mark.symbol : ex.status === 'error' ? '…' : '✗',
    statusLabel: ex.status === 'graded' ? GRADED_LABEL[mark.cls] ?? st.label : st.label,
    statusClass: ex.status === 'graded' ? mark.cls : st.cls,
    missing: ex.status === 'missing',
    compileError: ex.status === 'compile-error',
    error: ex.status === 'error',
    reason: ex.reason ? clean(ex.reason).trim() : null,
    diagnostics,
    diagnosticsText: diagnostics.map((d) => `${d.location}  ${d.message}`).join('\n'),
    showGroups: ex.status !== 'missing',
    groups,
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
    submission: oneLine(r.submission.hash).replace(/^[a-z0-9-]+:/i, '').slice(0, 12),
    gradedAt: utc(r.gradedAt),
    duration: duration(r.durationMs),
    total: {
      score: isWithheld(r) ? '—' : num(r.total.score),
      max: num(r.total.max),
      percent: isWithheld(r) ? 'marks withheld: grading error' : percent(r.total.score, r.total.max),
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
