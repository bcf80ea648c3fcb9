// The class dashboard's ease-of-use evidence, from the students' progress.jsonl logs: per
// exercise, how many test runs it took to the first full public pass, the span of working
// time (first run to last run), and the properties students failed first and longest.
import type { ExerciseProgress } from '../report/classroom.ts';
import { median, round2 } from '../report/summary.ts';
import { fullPass, parseLog, type ProgressLine } from './log.ts';

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
export function summariseProgress(logs: readonly StudentLog[], options: SummariseOptions = {}): Record<string, ExerciseEvidence> {
  const top = options.top ?? 5;
  const label = (id: string) => options.names?.[id] ?? id;
  const perExercise = new Map<string, Map<string, ProgressLine[]>>();
  const seen = new Set<string>();
  for (const log of logs) {
    if (seen.has(log.student)) continue; // one log per student
    seen.add(log.student);
    for (const line of parseLog(log.text).lines) {
      if (options.exercises && !options.exercises.includes(line.exercise)) continue;
      let byStudent = perExercise.get(line.exercise);
      if (!byStudent) perExercise.set(line.exercise, (byStudent = new Map()));
      let mine = byStudent.get(log.student);
      if (!mine) byStudent.set(log.student, (mine = []));
      mine.push(line);
    }
  }

  const out: Record<string, ExerciseEvidence> = {};
  const ids = [...perExercise.keys()].sort((a, b) => {
    const order = options.exercises;
    return order ? order.indexOf(a) - order.indexOf(b) : a < b ? -1 : a > b ? 1 : 0;
  });
  for (const exercise of ids) {
    const byStudent = perExercise.get(exercise)!;
    const own = (id: string | null): id is string => id !== null && id.startsWith(`${exercise}.`);
    const attempts: number[] = [];
    const spans: number[] = [];
    const first = new Map<string, number>();
    const longest = new Map<string, number[]>();
    let runs = 0;
    let neverPassed = 0;
    for (const lines of byStudent.values()) {
      let n = 0;
      let reached: number | undefined;
      const failedRuns = new Map<string, number>();
      let firstFailed: string | undefined;
      let start: number | undefined;
      let end: number | undefined;
      for (const line of lines) {
        n += line.runs;
        if (reached === undefined && fullPass(line)) reached = n - line.runs + 1;
        if (firstFailed === undefined && line.failed > 0 && own(line.firstFailed)) firstFailed = line.firstFailed;
        for (const id of new Set(line.failedTests)) if (own(id)) failedRuns.set(id, (failedRuns.get(id) ?? 0) + line.runs);
        for (const t of [time(line.at), time(line.last)]) {
          if (t === undefined) continue;
          start = start === undefined ? t : Math.min(start, t);
          end = end === undefined ? t : Math.max(end, t);
        }
      }
      runs += n;
      if (reached === undefined) neverPassed++;
      else attempts.push(reached);
      if (start !== undefined && end !== undefined) spans.push((end - start) / HOUR);
      if (firstFailed !== undefined) first.set(firstFailed, (first.get(firstFailed) ?? 0) + 1);
      const worst = [...failedRuns.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
      if (worst) longest.set(worst[0], [...(longest.get(worst[0]) ?? []), worst[1]]);
    }
    out[exercise] = {
      students: byStudent.size,
      runs,
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
