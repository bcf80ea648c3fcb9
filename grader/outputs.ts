// Writing results: each file atomically (write a temporary file, then rename), so a grader
// killed midway leaves either the old file or the new one, never half of one.
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { renderClass, renderGradescope, renderStudentReport, STUDENTS, studentFolder, type ClassRun } from './report/index.ts';
import { classProgress, kitTestNames } from './progress-log/store.ts';
import { classComparisons } from './study/study.ts';
import { Result, Summary } from './result.ts';
import { writeAtomic } from './write-atomic.ts';

/** Per student: result.json (written last: its presence marks the student as done), report.html, report.md, results.json (Gradescope). */
export async function writeStudent(out: string, result: Result): Promise<void> {
  const dir = studentFolder(out, result.student);
  await mkdir(dir, { recursive: true });
  const { html, md } = renderStudentReport(result);
  await writeAtomic(join(dir, 'report.html'), html);
  await writeAtomic(join(dir, 'report.md'), md);
  await writeAtomic(join(dir, 'results.json'), `${JSON.stringify(renderGradescope(result), null, 2)}\n`);
  await writeAtomic(join(dir, 'result.json'), `${JSON.stringify(Result.parse(result), null, 2)}\n`);
}

export async function readStudent(out: string, student: string): Promise<Result | undefined> {
  try {
    return Result.parse(JSON.parse(await readFile(join(studentFolder(out, student), 'result.json'), 'utf8')));
  } catch {
    return undefined;
  }
}

/** Every student's result.json under `out` (in `students/`). */
export async function readAll(out: string): Promise<Result[]> {
  const results: Result[] = [];
  let entries;
  try {
    entries = await readdir(join(out, STUDENTS), { withFileTypes: true });
  } catch {
    return results;
  }
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    try {
      results.push(Result.parse(JSON.parse(await readFile(join(out, STUDENTS, e.name, 'result.json'), 'utf8'))));
    } catch {
      // not a student folder, or a result from an older, incompatible kit
    }
  }
  return results.sort((a, b) => a.student.localeCompare(b.student));
}

export type { ClassRun };

/** The class files: index.html (dashboard), grades.csv, summary.json. `run`: what this run found beside the results. */
export async function writeClass(out: string, results: readonly Result[], run?: ClassRun): Promise<string> {
  await mkdir(out, { recursive: true });
  const progress = await classProgress(
    out,
    results.map((r) => r.student),
  );
  const comparisons = await classComparisons(out, results, kitTestNames());
  // Rewritten without a grading run (marks import): what the last run knew stays.
  const report = renderClass(results, { progress, comparisons, run: run ?? (await previousRun(out)) });
  await writeAtomic(join(out, 'index.html'), report.indexHtml);
  await writeAtomic(join(out, 'grades.csv'), report.gradesCsv);
  await writeAtomic(join(out, 'summary.json'), `${JSON.stringify(report.summary, null, 2)}\n`);
  return join(out, 'index.html');
}

/** The grading run's information in an existing summary.json, if any. */
async function previousRun(out: string): Promise<ClassRun | undefined> {
  try {
    return Summary.shape.run.parse(JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')).run);
  } catch {
    return undefined;
  }
}
