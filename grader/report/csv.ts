/**
 * grades.csv: one row per student, for a gradebook.
 *
 * Columns: `student`, one column per exercise id (in the order the exercises first appear
 * across the results), `manual`, `total`, `status`.
 * - `status`, the first that applies: `grading error` (the machinery failed: the failed
 *   exercises and the total are empty, never 0), `could not read` (a damaged archive),
 *   `not submitted` (no file of any exercise), `awaiting marking` (manual items not yet
 *   marked), `graded`.
 * - exercise cell: the exercise's points (0 when not submitted or not compiling); empty only if
 *   that student's result does not list the exercise at all.
 * - `manual`: the sum of the marked manual items; empty when the student has no manual items.
 * - while any manual item is awaiting marking, `manual` and `total` are empty by default
 *   (`awaiting: 'blank'`): a provisional total uploaded as final would turn "not yet marked"
 *   into zero. `awaiting: 'partial'` writes the points marked so far instead.
 *
 * Format: RFC 4180 (comma separator, CRLF line ends, fields with `"` `,` CR or LF quoted,
 * quotes doubled), numbers with '.' decimals and no grouping. UTF-8 *without* a byte-order
 * mark: a BOM becomes part of the first header ("\uFEFFstudent") for most importers
 * (LMS gradebooks, Python's csv, pandas, R, awk, diff); spreadsheet users import it as UTF-8.
 * Formula injection: a text cell starting with = + - @ (or tab/CR) gets a leading single quote
 * so spreadsheets show it as text instead of running it (OWASP "CSV injection").
 */
import { isWithheld, type Result } from '../result.ts';
import { num } from './text.ts';

export type AwaitingPolicy = 'blank' | 'partial';

/** A text cell made inert for spreadsheets: `=cmd()` → `'=cmd()`. */
export function guardFormula(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** One RFC 4180 field. Strings are formula-guarded; numbers are written with '.' decimals. */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? num(v) : guardFormula(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Exercise ids in the order they first appear across the results. */
export function exerciseIds(results: readonly Result[]): string[] {
  const ids: string[] = [];
  for (const r of results) for (const ex of r.exercises) if (!ids.includes(ex.id)) ids.push(ex.id);
  return ids;
}

/** Student ids in code-point order (not locale order: the same file on every machine). */
export function byStudent(results: readonly Result[]): Result[] {
  return [...results].sort((a, b) => (a.student < b.student ? -1 : a.student > b.student ? 1 : 0));
}

export function renderGradesCsv(results: readonly Result[], awaiting: AwaitingPolicy = 'blank'): string {
  const ids = exerciseIds(results);
  const rows: (string | number | null)[][] = [['student', ...ids, 'manual', 'total', 'status']];
  for (const r of byStudent(results)) {
    const pending = r.manual.some((m) => !(m.status === 'marked' && m.score !== undefined));
    const blank = pending && awaiting === 'blank';
    const manual = r.manual.length === 0 ? null : r.manual.reduce((s, m) => s + (m.status === 'marked' ? (m.score ?? 0) : 0), 0);
    const withheld = isWithheld(r);
    rows.push([
      r.student,
      ...ids.map((id) => {
        const e = r.exercises.find((x) => x.id === id);
        return e === undefined || e.status === 'error' ? null : e.score;
      }),
      blank ? null : manual,
      blank || withheld ? null : r.total.score,
      rowStatus(r, withheld, pending),
    ]);
  }
  return toCsv(rows);
}

function rowStatus(r: Result, withheld: boolean, pending: boolean): string {
  if (withheld) return 'grading error';
  if (r.exercises.some((e) => e.status === 'unreadable')) return 'could not read';
  if (r.exercises.length > 0 && r.exercises.every((e) => e.status === 'missing')) return 'not submitted';
  return pending ? 'awaiting marking' : 'graded';
}
