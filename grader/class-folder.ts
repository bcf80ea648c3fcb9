// Where a class's outputs go: one folder per student under `students/` in the output folder,
// named so that any student id is one safe path segment. Reports, progress logs and the
// Gradescope run all write there.
import { join } from 'node:path';

/**
 * The folder name for a student's reports: the id percent-encoded so that it is one safe path
 * segment on every OS (only A–Z a–z 0–9 - _ . % remain; "." and ".." are encoded too).
 * Ordinary ids (letters, digits, - _ .) are unchanged. Writers of report folders should use it.
 */
export function studentDir(student: string): string {
  const seg = encodeURIComponent(student).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return seg === '.' || seg === '..' || seg === '' ? seg.replace(/\./g, '%2E') || '%28empty%29' : seg;
}

/**
 * Students' folders live under `students/` in the output folder, so that no student id (a
 * submission named `index.html.zip`, `grades.csv`, `summary.json`) can meet a class output.
 */
export const STUDENTS = 'students';

/** A student's folder in an output folder: `<out>/students/<studentDir>`. */
export function studentFolder(out: string, student: string): string {
  return join(out, STUDENTS, studentDir(student));
}

/** Relative link from index.html to a student's report: `./students/<studentDir>/report.html`, URL-encoded. */
export function studentHref(student: string): string {
  return `./${STUDENTS}/${encodeURIComponent(studentDir(student))}/report.html`;
}
