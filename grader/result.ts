/**
 * The grader's result schema: what one graded submission produces (`Result`, written as
 * `result.json`), what Gradescope receives (`GradescopeResults`, `results.json`) and what a
 * class run summarises (`Summary`, `summary.json`).
 *
 * Each schema is a zod value and an inferred type of the same name, so callers write
 * `Result.parse(json)` to validate and `const r: Result = …` to type.
 *
 * Student-controlled text (ids, observed messages, compiler messages, file names in intake
 * notes) may sit in any string field. Renderers escape every string; nothing here is markup.
 */
import { z } from 'zod';

const score = z.number().finite().min(0);
const count = z.number().int().min(0);

/** How much of a test a student may see. Ordered: visible < name-only < hidden. */
export const Visibility = z.enum(['visible', 'name-only', 'hidden']);
export type Visibility = z.infer<typeof Visibility>;

/**
 * One line of the sequence chart of the last messages before a failure (virtual time).
 *
 * - `send`: `from` → `to`, `label` is the message type (`reserve`), `detail` its content.
 * - `drop`: a message that never arrived: `from` → `to`, `label` the message type, `detail`
 *   its content or why it was lost (`network dropped`).
 * - `exit`: `from` ended; `label` the reason (`normal`, `killed`, `error`), `detail` more words.
 * - `spawn`, `restart`: `from` (parent/supervisor) started or restarted `to`.
 * - `timer`: a timer of `from` fired (`label` e.g. `timed out waiting for credited`).
 * - `note`: anything else worth saying at that time, about `from` if given.
 */
export const ChartLine = z.object({
  t: z.number().finite(),
  kind: z.enum(['send', 'drop', 'exit', 'spawn', 'restart', 'timer', 'note']),
  from: z.string().optional(),
  to: z.string().optional(),
  label: z.string(),
  detail: z.string().optional(),
});
export type ChartLine = z.infer<typeof ChartLine>;

/** Why a test failed, in words a student can act on. */
export const Failure = z.object({
  /** The property that broke, plain words: "money is conserved under concurrent transfers". */
  property: z.string(),
  /** What was observed, plain words; may be multi-line. */
  observed: z.string(),
  /** The (first) failing seed. */
  seed: z.number().int(),
  /** The exact command that replays this failure: "npm test -- bank --seed 4181". */
  replay: z.string(),
  /** The last messages before the failure, oldest first. */
  chart: z.array(ChartLine),
});
export type Failure = z.infer<typeof Failure>;

export const TestResult = z.object({
  id: z.string(),
  name: z.string(),
  /** Id of the rubric group (a `GroupResult.id` of the same exercise). */
  group: z.string(),
  visibility: Visibility,
  /**
   * `error`: the submission's code stopped the test (it hung, crashed the kernel); `grading-error`:
   * the grading machinery could not run the test, so its mark is withheld (never counted as 0).
   */
  status: z.enum(['passed', 'failed', 'error', 'grading-error']),
  score,
  max: score,
  seeds: z.object({ run: z.array(z.number().int()), failed: z.array(z.number().int()) }),
  /** A short plain-words message (e.g. why the test errored); shown only when visible. */
  message: z.string().optional(),
  failure: Failure.optional(),
});
export type TestResult = z.infer<typeof TestResult>;

export const GroupResult = z.object({
  id: z.string(),
  name: z.string(),
  score,
  max: score,
  /** A `hidden` group shows only its score; a test is shown at the stricter of its own and its group's visibility. */
  visibility: Visibility,
});
export type GroupResult = z.infer<typeof GroupResult>;

/** A compiler diagnostic, position 1-based, file relative to the submission. */
export const Diagnostic = z.object({
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  message: z.string(),
});
export type Diagnostic = z.infer<typeof Diagnostic>;

export const ExerciseStatus = z.enum(['graded', 'missing', 'unreadable', 'compile-error', 'error']);
export type ExerciseStatus = z.infer<typeof ExerciseStatus>;

export const ExerciseResult = z.object({
  id: z.string(),
  title: z.string(),
  score,
  max: score,
  /**
   * `graded`: tests ran; `missing`: not submitted; `unreadable`: the submission could not be
   * read (a corrupt archive, a bomb: see reason); `compile-error`: see diagnostics and reason;
   * `error`: a grading error (the machinery failed, see reason): the exercise's marks are withheld.
   */
  status: ExerciseStatus,
  reason: z.string().optional(),
  /** Compiler messages: syntax errors, refused imports, type errors (shown whatever the status). */
  diagnostics: z.array(Diagnostic),
  /** How many of `diagnostics` are type errors (absent in results of older kits). */
  typeErrors: count.optional(),
  groups: z.array(GroupResult),
  tests: z.array(TestResult),
  /**
   * A local preview only (the pack's `npm run check`): per rubric group, the hidden tests this
   * run could not run, so that local full marks are not taken for the final mark.
   */
  gradedOnly: z.array(z.object({ group: z.string(), tests: count, points: score })).optional(),
});
export type ExerciseResult = z.infer<typeof ExerciseResult>;

/** An item marked by a person (design, written answers). `awaiting` is not zero: it is not yet marked. */
export const ManualItem = z.object({
  id: z.string(),
  exercise: z.string().optional(),
  title: z.string(),
  max: score,
  score: score.optional(),
  comment: z.string().optional(),
  status: z.enum(['marked', 'awaiting']),
});
export type ManualItem = z.infer<typeof ManualItem>;

export const SandboxLevel = z.enum(['bwrap', 'fallback', 'in-process']);
export type SandboxLevel = z.infer<typeof SandboxLevel>;

export const Result = z.object({
  student: z.string().min(1),
  kit: z.object({ version: z.string() }),
  submission: z.object({ hash: z.string() }),
  /** ISO 8601. */
  gradedAt: z.string(),
  durationMs: z.number().finite().min(0),
  total: z.object({
    /** Exercises plus marked manual items. */
    score,
    max: score,
    /** Max points of manual items still awaiting marking (not counted in `score`). */
    awaiting: score,
  }),
  exercises: z.array(ExerciseResult),
  manual: z.array(ManualItem),
  sandbox: z.object({ level: SandboxLevel, description: z.string() }),
  warnings: z.array(z.string()),
  /** Intake notes: rejected files, ignored extras, archive problems. */
  notes: z.array(z.string()),
  /**
   * Other submissions found for this student (the same id, or one equal to it but for letter
   * case) that were not graded: each says which file was graded and which was not.
   */
  duplicates: z.array(z.string()).optional(),
});
export type Result = z.infer<typeof Result>;

// ───────────────────────────── Gradescope ─────────────────────────────
// https://gradescope-autograders.readthedocs.io/en/latest/specs/ (results.json)

export const GradescopeVisibility = z.enum(['visible', 'hidden', 'after_due_date', 'after_published']);
export type GradescopeVisibility = z.infer<typeof GradescopeVisibility>;

const GradescopeOutputFormat = z.enum(['text', 'html', 'simple_format', 'md', 'ansi']);

export const GradescopeTest = z.object({
  /** Left out when the marks are withheld (a grading error): Gradescope then shows no score, not 0. */
  score: z.number().finite().optional(),
  max_score: z.number().finite(),
  status: z.enum(['passed', 'failed']),
  name: z.string(),
  /** Sort key, e.g. "1.2" (exercise 1, test 2). */
  number: z.string(),
  output: z.string(),
  tags: z.array(z.string()),
  visibility: GradescopeVisibility,
});
export type GradescopeTest = z.infer<typeof GradescopeTest>;

export const GradescopeResults = z.object({
  /** Left out when the marks are withheld (a grading error), as is every test's. */
  score: z.number().finite().optional(),
  /** Seconds. */
  execution_time: z.number().finite().min(0),
  output: z.string(),
  output_format: GradescopeOutputFormat.optional(),
  test_output_format: GradescopeOutputFormat.optional(),
  visibility: GradescopeVisibility,
  stdout_visibility: GradescopeVisibility,
  tests: z.array(GradescopeTest),
});
export type GradescopeResults = z.infer<typeof GradescopeResults>;

// ───────────────────────────── class summary ─────────────────────────────

const Stats = z.object({
  mean: z.number(),
  median: z.number(),
  min: z.number(),
  max: z.number(),
});

export const HistogramBin = z.object({
  /** Inclusive lower edge. */
  from: z.number(),
  /** Exclusive upper edge, except the last bin, which includes it. */
  to: z.number(),
  count,
});
export type HistogramBin = z.infer<typeof HistogramBin>;

export const Summary = z.object({
  generatedAt: z.string(),
  /** Kit versions seen (more than one means the class was graded against different kits). */
  kitVersions: z.array(z.string()),
  studentCount: count,
  /** Highest `total.max` among the results (the histogram's range). */
  max: score,
  totals: Stats,
  /** Students with manual items still awaiting marking: their totals are provisional. */
  provisional: count,
  /**
   * Students whose marks are withheld because the grading machinery failed for them (listed
   * first by every view; left out of the totals, histogram and statistics until regraded).
   */
  gradingErrors: z.array(z.object({ student: z.string(), exercises: z.array(z.string()), reason: z.string() })),
  /** What the grading run knew beside the results: which exercises (named, or inferred from the submissions), entries not taken. */
  run: z
    .object({
      exercises: z.object({ ids: z.array(z.string()), inferred: z.boolean() }).optional(),
      skipped: z.array(z.object({ entry: z.string(), reason: z.string() })).default([]),
    })
    .optional(),
  /** Students for whom more than one submission was found: which was graded, which not. */
  duplicates: z.array(z.object({ student: z.string(), notes: z.array(z.string()) })).default([]),
  /** "Who needs help?": students to look at first, most urgent first, each with why (report/attention.ts). */
  attention: z
    .array(
      z.object({
        student: z.string(),
        reasons: z.array(z.object({ kind: z.string(), text: z.string() })),
      }),
    )
    .default([]),
  histogram: z.object({ binWidth: z.number(), bins: z.array(HistogramBin) }),
  students: z.array(
    z.object({
      student: z.string(),
      score,
      max: score,
      awaiting: score,
      /** A grading error: `score` is not a mark. */
      withheld: z.boolean(),
      manual: z.object({ score, max: score, awaiting: score }),
      exercises: z.record(z.string(), z.object({ score, max: score, status: ExerciseStatus, typeErrors: count.default(0) })),
      /** Kinds of attention reason (see `attention`); empty when none. */
      attention: z.array(z.string()).default([]),
    }),
  ),
  exercises: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      max: score,
      /** Over all students, a missing exercise counting 0. */
      mean: z.number(),
      median: z.number(),
      fullMarks: count,
      status: z.object({ graded: count, missing: count, unreadable: count.default(0), 'compile-error': count, error: count }),
      /** Students whose code has type errors in this exercise. */
      typeErrors: count.default(0),
    }),
  ),
  tests: z.array(
    z.object({
      exercise: z.string(),
      id: z.string(),
      name: z.string(),
      group: z.string(),
      visibility: Visibility,
      max: score,
      /** Students whose exercise was graded (submitted, compiled); pass rates are over these. */
      n: count,
      passed: count,
      failed: count,
      error: count,
      /** passed / n; 0 when n is 0. */
      passRate: z.number().min(0).max(1),
      /** Properties most often reported broken, most frequent first (at most 3). */
      failedProperties: z.array(z.object({ property: z.string(), students: count })),
      /** The students who did not pass it (failed or errored), in id order. */
      failedStudents: z.array(z.string()).default([]),
    }),
  ),
  warnings: z.array(z.string()),
});
export type Summary = z.infer<typeof Summary>;

/** Whether a result's marks are withheld: the grading machinery failed in one of its exercises. */
export function isWithheld(r: Pick<Result, 'exercises'>): boolean {
  return r.exercises.some((e) => e.status === 'error');
}
