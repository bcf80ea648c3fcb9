// The study of exercise pairs (a manifest's `compare`): the same task done two ways, such as
// the message-passing bank and the bank with locks. From the consented progress logs and the
// graded marks of a class:
//   - comparisons(): the pairs, from the manifests;
//   - comparisonViews(): what the class dashboard shows side by side for each pair;
//   - studyRows() / renderStudyCsv(): `npx grader study --out study.csv`, one anonymised row per
//     student and exercise (a keyed pseudonym, never a name; outcomes and marks, never code).
import { createHmac, randomBytes } from 'node:crypto';
import { exerciseDir, listExercises, loadManifest } from '../../kernels/harness/manifest.ts';
import { HAZARDS, type Hazard } from '../progress-log/log.ts';
export { HAZARD_LABEL } from '../progress-log/log.ts';
import { readProgressLogs } from '../progress-log/store.ts';
import { studentsEvidence, summariseProgress, type ExerciseEvidence, type StudentEvidence } from '../progress-log/summary.ts';
import { median, round2 } from '../stats.ts';
import type { Result } from '../result.ts';

export interface Comparison {
  /** "bank vs bank-locks" */
  readonly id: string;
  /** The exercise compared with, then the one whose manifest names the pair. */
  readonly exercises: readonly [string, string];
  readonly question: string;
}

/** Every pair the manifests declare, in course order. */
export function comparisons(ids: readonly string[] = listExercises()): Comparison[] {
  const out: Comparison[] = [];
  for (const id of ids) {
    const m = loadManifest(exerciseDir(id));
    if (!m.compare || !ids.includes(m.compare.with)) continue;
    out.push({ id: `${m.compare.with} vs ${id}`, exercises: [m.compare.with, id], question: m.compare.question });
  }
  return out;
}

/** One exercise's column in a comparison. */
export interface ComparisonSide {
  readonly exercise: string;
  /** Students with runs of their own code in their logs. */
  readonly students: number;
  readonly attempts: { median: number; n: number };
  readonly workingSpanHours: number;
  readonly firstFailed: readonly { property: string; students: number }[];
  readonly longestFailed: readonly { property: string; students: number; medianRuns: number }[];
  /** Share (0–1) of those students whose runs showed each kind of failure. */
  readonly hazards: Record<Hazard, { students: number; share: number }>;
  /** Graded marks over the students graded on it: mean and median as a share of the maximum. */
  readonly marks: { graded: number; meanShare: number; medianShare: number; max: number };
}

export interface ComparisonView {
  readonly comparison: Comparison;
  readonly sides: readonly [ComparisonSide, ComparisonSide];
}

function side(exercise: string, evidence: ExerciseEvidence | undefined, results: readonly Result[]): ComparisonSide {
  const graded = results.flatMap((r) => r.exercises.filter((e) => e.id === exercise && e.status !== 'missing' && e.status !== 'error'));
  const shares = graded.map((e) => (e.max > 0 ? e.score / e.max : 0));
  const n = evidence?.students ?? 0;
  const hazards = Object.fromEntries(
    HAZARDS.map((h) => {
      const k = evidence?.hazards[h] ?? 0;
      return [h, { students: k, share: n === 0 ? 0 : round2(k / n) }];
    }),
  ) as Record<Hazard, { students: number; share: number }>;
  return {
    exercise,
    students: n,
    attempts: { median: evidence?.attemptsToFirstFullPass.median ?? 0, n: evidence?.attemptsToFirstFullPass.n ?? 0 },
    workingSpanHours: evidence?.workingSpanHours.median ?? 0,
    firstFailed: evidence?.firstFailedProperties ?? [],
    longestFailed: evidence?.longestFailedProperties ?? [],
    hazards,
    marks: {
      graded: graded.length,
      meanShare: shares.length ? round2(shares.reduce((a, b) => a + b, 0) / shares.length) : 0,
      medianShare: round2(median(shares)),
      max: graded[0]?.max ?? 0,
    },
  };
}

/** The side-by-side views of every pair with any evidence or marks. */
export function comparisonViews(
  pairs: readonly Comparison[],
  evidence: Record<string, ExerciseEvidence> | undefined,
  results: readonly Result[],
): ComparisonView[] {
  const out: ComparisonView[] = [];
  for (const c of pairs) {
    const [a, b] = c.exercises;
    const sides = [side(a, evidence?.[a], results), side(b, evidence?.[b], results)] as const;
    if (sides.every((s) => s.students === 0 && s.marks.graded === 0)) continue;
    out.push({ comparison: c, sides });
  }
  return out;
}

/** The dashboard's comparisons for a graded class folder (none when no manifest pairs exercises). */
export async function classComparisons(out: string, results: readonly Result[], names?: Readonly<Record<string, string>>): Promise<ComparisonView[]> {
  const pairs = comparisons();
  if (pairs.length === 0) return [];
  const logs = await readProgressLogs(
    out,
    results.map((r) => r.student),
  );
  const evidence = summariseProgress(logs, { names, exercises: pairs.flatMap((p) => p.exercises) });
  return comparisonViews(pairs, evidence, results);
}

// ---- the export ----------------------------------------------------------------------------------

export interface StudyRow {
  readonly participant: string;
  readonly comparison: string;
  readonly exercise: string;
  readonly evidence: StudentEvidence | undefined;
  readonly score: number | undefined;
  readonly max: number | undefined;
  readonly status: string;
}

/** A participant's pseudonym: a keyed hash of the student id (the key is not exported). */
export function pseudonym(student: string, salt: string): string {
  return `p-${createHmac('sha256', salt).update(student).digest('hex').slice(0, 12)}`;
}

export function randomSalt(): string {
  return randomBytes(16).toString('hex');
}

/** One row per student and exercise of every pair, for students with a log or a grade on it. */
export async function studyRows(out: string, results: readonly Result[], options: { salt: string; pairs?: readonly Comparison[] }): Promise<StudyRow[]> {
  const pairs = options.pairs ?? comparisons();
  const exercises = [...new Set(pairs.flatMap((p) => p.exercises))];
  const logs = await readProgressLogs(
    out,
    results.map((r) => r.student),
  );
  const evidence = new Map(studentsEvidence(logs, exercises).map((e) => [`${e.student}\n${e.exercise}`, e]));
  const rows: StudyRow[] = [];
  for (const r of results) {
    for (const p of pairs) {
      for (const exercise of p.exercises) {
        const ev = evidence.get(`${r.student}\n${exercise}`);
        const graded = r.exercises.find((e) => e.id === exercise);
        if (!ev && (!graded || graded.status === 'missing')) continue;
        const withheld = graded?.status === 'error';
        rows.push({
          participant: pseudonym(r.student, options.salt),
          comparison: p.id,
          exercise,
          evidence: ev,
          score: graded && !withheld ? graded.score : undefined,
          max: graded?.max,
          status: graded?.status ?? 'not graded',
        });
      }
    }
  }
  return rows.sort((a, b) => (a.participant < b.participant ? -1 : a.participant > b.participant ? 1 : a.exercise < b.exercise ? -1 : 1));
}

export const STUDY_COLUMNS = [
  'participant',
  'comparison',
  'exercise',
  'runs',
  'starter_runs',
  'attempts_to_first_full_pass',
  'working_span_hours',
  'first_failed_test',
  'longest_failed_test',
  'longest_failed_runs',
  'hit_deadlock',
  'hit_lost_update',
  'hit_conservation_failure',
  'graded_status',
  'graded_score',
  'graded_max',
] as const;

function cell(v: string | number | boolean | undefined): string {
  if (v === undefined) return '';
  const s = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderStudyCsv(rows: readonly StudyRow[]): string {
  const lines = [STUDY_COLUMNS.join(',')];
  for (const r of rows) {
    const e = r.evidence;
    const log = e !== undefined;
    lines.push(
      [
        r.participant,
        r.comparison,
        r.exercise,
        log ? e.runs : undefined,
        log ? e.starterRuns : undefined,
        e?.attemptsToFirstFullPass,
        e?.workingSpanHours === undefined ? undefined : Math.round(e.workingSpanHours * 1000) / 1000,
        e?.firstFailed,
        e?.longestFailed,
        log ? e.longestFailedRuns : undefined,
        log ? e.hazards.includes('deadlock') : undefined,
        log ? e.hazards.includes('lost-update') : undefined,
        log ? e.hazards.includes('conservation') : undefined,
        r.status,
        r.score,
        r.max,
      ]
        .map(cell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
