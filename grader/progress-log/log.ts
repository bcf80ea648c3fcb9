// The ease-of-use log: one line of JSON per local `npm test` run of an exercise, written by
// the student pack (grader/pack/tools/reporter.ts) to `progress.jsonl` with the student's
// knowledge and consent, and summarised per exercise on the class dashboard (summary.ts).
//
// A line holds test outcomes and the time the run ended (`at`, and `last` for merged runs:
// the span of working time is read off them), never code, test durations, keystrokes or
// anything about the machine:
//   {"v":1,"at":"2026-03-02T14:05:11.000Z","exercise":"ring","passed":1,"failed":1,"skipped":0,
//    "failedTests":["ring.desk-answers"],"firstFailed":"ring.desk-answers","runs":1}
// Consecutive runs with the same outcome are kept as one line: `runs` counts them and `last`
// is the time of the latest. Two optional fields (packs from December 2026 on):
//   "edited": false while every file of the exercise is still the starter's (by sha256), so a
//             run of the untouched starter is not counted as the student's first attempt;
//   "hazards": the kinds of failure this run showed (HAZARDS: a deadlock, a lost update, money
//             not conserved), read from the failure reports' words, never from code.
// This file ships in the student pack as it is.
import { z } from 'zod';

const count = z.number().int().min(0).max(1_000_000);
const testId = z.string().min(1).max(120);

export const ProgressLine = z
  .object({
    v: z.literal(1),
    /** When the (first of the) run(s) ended, ISO 8601. */
    at: z.string().max(40),
    exercise: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/)
      .max(60),
    passed: count,
    failed: count,
    skipped: count,
    /** Ids of the tests that failed, in the order of the test file. */
    failedTests: z.array(testId).max(200),
    /** The first test that failed (its id), or null when none did. */
    firstFailed: testId.nullable(),
    /** How many consecutive runs had exactly this outcome (1 unless merged). */
    runs: z.number().int().min(1).max(1_000_000).default(1),
    /** When the latest of those runs ended. */
    last: z.string().max(40).optional(),
    /** False while the student's files of the exercise are all still the starter's; absent in older logs. */
    edited: z.boolean().optional(),
    /** The kinds of failure the run showed (see HAZARDS); absent when none, or in older logs. */
    hazards: z
      .array(z.enum(['deadlock', 'lost-update', 'conservation']))
      .max(3)
      .optional(),
  })
  .strip();
export type ProgressLine = z.infer<typeof ProgressLine>;

export const HAZARDS = ['deadlock', 'lost-update', 'conservation'] as const;
export type Hazard = (typeof HAZARDS)[number];
export const HAZARD_LABEL: Record<Hazard, string> = { deadlock: 'a deadlock', 'lost-update': 'a lost update', conservation: 'money not conserved' };

/**
 * The kinds of failure a failure report describes, from its words: the deadlock report of
 * either bank ("deadlock", a wait cycle), the lost-update report ("lost update on …"), and
 * money not conserved ("money was created / lost", "money appeared or vanished", "conserv…").
 */
export function hazardsOf(report: string): Hazard[] {
  const found: Hazard[] = [];
  if (/\bdeadlock|\bwait(?:s|ing)? in a cycle|wait for each other/i.test(report)) found.push('deadlock');
  if (/\blost update/i.test(report)) found.push('lost-update');
  if (/\bmoney (?:was|is) (?:created|lost)|money appeared|\bconserv/i.test(report)) found.push('conservation');
  return found;
}

/** Above this size the pack stops adding lines (the grader takes files up to 256 KiB). */
export const MAX_LOG_BYTES = 240 * 1024;

/** A run fully passed: something ran, nothing failed, nothing was filtered out. */
export function fullPass(line: ProgressLine): boolean {
  return line.passed > 0 && line.failed === 0 && line.skipped === 0;
}

/** Same outcome (so two consecutive runs may share a line). */
export function sameOutcome(a: ProgressLine, b: ProgressLine): boolean {
  return (
    a.exercise === b.exercise &&
    a.passed === b.passed &&
    a.failed === b.failed &&
    a.skipped === b.skipped &&
    a.firstFailed === b.firstFailed &&
    a.failedTests.join('\n') === b.failedTests.join('\n') &&
    a.edited === b.edited &&
    (a.hazards ?? []).join() === (b.hazards ?? []).join()
  );
}

export function formatLine(line: ProgressLine): string {
  const { last, ...rest } = line;
  return JSON.stringify(last === undefined ? rest : { ...rest, last });
}

/** Reads a log; lines that are not valid (edited by hand, cut off) are counted and skipped. */
export function parseLog(text: string): { lines: ProgressLine[]; bad: number } {
  const lines: ProgressLine[] = [];
  let bad = 0;
  for (const raw of text.split('\n')) {
    const t = raw.trim();
    if (t === '') continue;
    try {
      const parsed = ProgressLine.safeParse(JSON.parse(t));
      if (parsed.success) lines.push(parsed.data);
      else bad++;
    } catch {
      bad++;
    }
  }
  return { lines, bad };
}

/**
 * The log after one more run: merged into the last line when the outcome is the same, else
 * appended. Returns undefined when the log is full (MAX_LOG_BYTES) and the run is not merged.
 */
export function appendRun(text: string, run: ProgressLine): string | undefined {
  const body = text.endsWith('\n') || text === '' ? text : `${text}\n`;
  const rows = body.split('\n');
  rows.pop(); // the empty string after the final newline
  const lastRow = rows.at(-1);
  if (lastRow !== undefined) {
    try {
      const previous = ProgressLine.safeParse(JSON.parse(lastRow));
      if (previous.success && sameOutcome(previous.data, run)) {
        rows[rows.length - 1] = formatLine({ ...previous.data, runs: previous.data.runs + run.runs, last: run.last ?? run.at });
        return `${rows.join('\n')}\n`;
      }
    } catch {
      // not JSON: leave it, append below
    }
  }
  const line = `${formatLine(run)}\n`;
  if (Buffer.byteLength(body) + Buffer.byteLength(line) > MAX_LOG_BYTES) return undefined;
  return body + line;
}
