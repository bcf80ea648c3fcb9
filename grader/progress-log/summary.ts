// The class dashboard's ease-of-use evidence, from the students' progress.jsonl logs: per
// exercise, how many test runs it took to the first full public pass, the span of working
// time (first run to last run of that exercise), the properties students failed first and
// longest, and how many students met a deadlock, a lost update or money not conserved.
//
// A student's evidence on an exercise starts at their first run of their own code: runs of
// the untouched starter (lines with "edited": false) are left out, so the first broken
// property is the first one their code broke, not the starter's first test. Older logs
// without the field count every run.
import { median, round2 } from '../stats.ts';
import { HAZARDS, fullPass, parseLog, type Hazard, type ProgressLine } from './log.ts';

/** What the class dashboard shows of an exercise's progress logs. */
export interface ExerciseProgress {
  attemptsToFirstFullPass: { median: number; n: number };
  workingSpanHours: { median: number };
  firstFailedProperties: { property: string; students: number }[];
}

export interface StudentLog {
  readonly student: string;
  /** The text of the student's progress.jsonl. */
  readonly text: string;
}

export interface PropertyTally {
  property: string;
  students: number;
}

/** What the dashboard shows (ExerciseProgress) plus the rest of the evidence. */
export interface ExerciseEvidence extends ExerciseProgress {
  /** Students with at least one logged run of this exercise. */
  students: number;
  /** Test runs logged, over all students. */
  runs: number;
  /** Students with runs who never had a full public pass. */
  neverPassed: number;
  attemptsToFirstFullPass: { median: number; n: number; max: number };
  workingSpanHours: { median: number; max: number };
  /** Per student, the test that failed in the most runs; students per test, most first. */
  longestFailedProperties: (PropertyTally & { medianRuns: number })[];
  /** Runs of the untouched starter, left out of everything above. */
  starterRuns: number;
  /** Students (with runs of their own code) whose runs showed each kind of failure. */
  hazards: Record<Hazard, number>;
}

/** One student's evidence on one exercise (a row of `grader study`). */
export interface StudentEvidence {
  readonly student: string;
  readonly exercise: string;
  /** Runs of their own code (the starter's left out). */
  readonly runs: number;
  readonly starterRuns: number;
  /** Runs of their own code up to and including the first full public pass; undefined if none. */
  readonly attemptsToFirstFullPass: number | undefined;
  /** First to last run of their own code on this exercise, in hours; undefined without a valid time. */
  readonly workingSpanHours: number | undefined;
  /** The first test their own code failed, and the test that failed in most of their runs. */
  readonly firstFailed: string | undefined;
  readonly longestFailed: string | undefined;
  readonly longestFailedRuns: number;
  readonly hazards: readonly Hazard[];
}

export interface SummariseOptions {
  /** Test id → property name (plain words); ids without a name are shown as they are. */
  readonly names?: Readonly<Record<string, string>>;
  /** Only these exercises (default: every exercise found in the logs). */
  readonly exercises?: readonly string[];
  /** How many properties to list (default 5). */
  readonly top?: number;
}

const HOUR = 3_600_000;

function time(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

function tally(counts: Map<string, number>, label: (id: string) => string, top: number): PropertyTally[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([id, students]) => ({ property: label(id), students }));
}

/**
 * The evidence per exercise id (exercises with no logged run are left out). Invalid lines
 * are skipped; test ids outside the exercise (`<exercise>.…`) are ignored, so a hand-edited
 * log cannot put arbitrary text on the dashboard beyond an id-shaped string.
 */
/** The lines of a student's log per exercise (one log per student; only `exercises` if given). */
function linesByExercise(logs: readonly StudentLog[], exercises?: readonly string[]): Map<string, Map<string, ProgressLine[]>> {
  const perExercise = new Map<string, Map<string, ProgressLine[]>>();
  const seen = new Set<string>();
  for (const log of logs) {
    if (seen.has(log.student)) continue; // one log per student
    seen.add(log.student);
    for (const line of parseLog(log.text).lines) {
      if (exercises && !exercises.includes(line.exercise)) continue;
      let byStudent = perExercise.get(line.exercise);
      if (!byStudent) perExercise.set(line.exercise, (byStudent = new Map()));
      let mine = byStudent.get(log.student);
      if (!mine) byStudent.set(log.student, (mine = []));
      mine.push(line);
    }
  }
  return perExercise;
}

/** One student's evidence on one exercise, from their lines of it (in log order). */
export function studentEvidence(student: string, exercise: string, lines: readonly ProgressLine[]): StudentEvidence {
  const own = (id: string | null): id is string => id !== null && id.startsWith(`${exercise}.`);
  // From the first run of their own code on (older lines, without "edited", all count).
  const firstOwn = lines.findIndex((l) => l.edited !== false);
  const mine = firstOwn < 0 ? [] : lines.slice(firstOwn);
  const starterRuns = (firstOwn < 0 ? lines : lines.slice(0, firstOwn)).reduce((n, l) => n + l.runs, 0);
  let n = 0;
  let reached: number | undefined;
  const failedRuns = new Map<string, number>();
  let firstFailed: string | undefined;
  let start: number | undefined;
  let end: number | undefined;
  const hazards = new Set<Hazard>();
  for (const line of mine) {
    n += line.runs;
    if (reached === undefined && fullPass(line)) reached = n - line.runs + 1;
    if (firstFailed === undefined && line.failed > 0 && own(line.firstFailed)) firstFailed = line.firstFailed;
    for (const id of new Set(line.failedTests)) if (own(id)) failedRuns.set(id, (failedRuns.get(id) ?? 0) + line.runs);
    for (const h of line.hazards ?? []) hazards.add(h);
    for (const t of [time(line.at), time(line.last)]) {
      if (t === undefined) continue;
      start = start === undefined ? t : Math.min(start, t);
      end = end === undefined ? t : Math.max(end, t);
    }
  }
  const worst = [...failedRuns.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
  return {
    student,
    exercise,
    runs: n,
    starterRuns,
    attemptsToFirstFullPass: reached,
    workingSpanHours: start !== undefined && end !== undefined ? (end - start) / HOUR : undefined,
    firstFailed,
    longestFailed: worst?.[0],
    longestFailedRuns: worst?.[1] ?? 0,
    hazards: HAZARDS.filter((h) => hazards.has(h)),
  };
}

/** Every student's evidence on every exercise of their log (ordered by exercise, then student). */
export function studentsEvidence(logs: readonly StudentLog[], exercises?: readonly string[]): StudentEvidence[] {
  const out: StudentEvidence[] = [];
  for (const [exercise, byStudent] of linesByExercise(logs, exercises)) {
    for (const [student, lines] of byStudent) out.push(studentEvidence(student, exercise, lines));
  }
  return out;
}

export function summariseProgress(logs: readonly StudentLog[], options: SummariseOptions = {}): Record<string, ExerciseEvidence> {
  const top = options.top ?? 5;
  const label = (id: string) => options.names?.[id] ?? id;
  const perExercise = linesByExercise(logs, options.exercises);

  const out: Record<string, ExerciseEvidence> = {};
  const ids = [...perExercise.keys()].sort((a, b) => {
    const order = options.exercises;
    return order ? order.indexOf(a) - order.indexOf(b) : a < b ? -1 : a > b ? 1 : 0;
  });
  for (const exercise of ids) {
    const byStudent = perExercise.get(exercise)!;
    const attempts: number[] = [];
    const spans: number[] = [];
    const first = new Map<string, number>();
    const longest = new Map<string, number[]>();
    const hazards: Record<Hazard, number> = { deadlock: 0, 'lost-update': 0, conservation: 0 };
    let runs = 0;
    let starterRuns = 0;
    let neverPassed = 0;
    let students = 0;
    for (const [student, lines] of byStudent) {
      const e = studentEvidence(student, exercise, lines);
      starterRuns += e.starterRuns;
      if (e.runs === 0) continue; // only the starter ran: no evidence about this student yet
      students++;
      runs += e.runs;
      if (e.attemptsToFirstFullPass === undefined) neverPassed++;
      else attempts.push(e.attemptsToFirstFullPass);
      if (e.workingSpanHours !== undefined) spans.push(e.workingSpanHours);
      if (e.firstFailed !== undefined) first.set(e.firstFailed, (first.get(e.firstFailed) ?? 0) + 1);
      if (e.longestFailed !== undefined) longest.set(e.longestFailed, [...(longest.get(e.longestFailed) ?? []), e.longestFailedRuns]);
      for (const h of e.hazards) hazards[h]++;
    }
    if (students === 0) continue;
    out[exercise] = {
      students,
      runs,
      starterRuns,
      hazards,
      neverPassed,
      attemptsToFirstFullPass: { median: round2(median(attempts)), n: attempts.length, max: attempts.length ? Math.max(...attempts) : 0 },
      workingSpanHours: { median: round2(median(spans)), max: round2(spans.length ? Math.max(...spans) : 0) },
      firstFailedProperties: tally(first, label, top),
      longestFailedProperties: [...longest.entries()]
        .sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))
        .slice(0, top)
        .map(([id, counts]) => ({ property: label(id), students: counts.length, medianRuns: round2(median(counts)) })),
    };
  }
  return out;
}
