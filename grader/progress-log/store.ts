// Where the grader keeps each student's progress.jsonl between runs: next to the student's
// report (`<out>/<student>/progress.jsonl`), so that cached students, resumed runs and merged
// shards all feed the class dashboard. Callers:
//   grade.ts, after takeSubmission:  saveProgressLog (this submission's log, or none)
//   outputs.ts writeClass:           classProgress (the dashboard's evidence, given to renderClass)
//   merge.ts, before writeClass:     copyProgressLogs (each student's log from its shard)
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { listExercises } from '../../kernels/harness/manifest.ts';
import { testNames } from '../exercise-tests.ts';
import { studentFolder } from '../class-folder.ts';
import { writeAtomic } from '../write-atomic.ts';
import { summariseProgress, type ExerciseEvidence, type StudentLog } from './summary.ts';

export const PROGRESS_FILE = 'progress.jsonl';

export function progressLogPath(out: string, student: string): string {
  return join(studentFolder(out, student), PROGRESS_FILE);
}

/** Keeps the student's log (or removes a stale one when this submission has none). */
export async function saveProgressLog(out: string, student: string, text: string | undefined): Promise<void> {
  const file = progressLogPath(out, student);
  if (text === undefined || text.trim() === '') {
    await rm(file, { force: true });
    return;
  }
  await mkdir(studentFolder(out, student), { recursive: true });
  await writeAtomic(file, text);
}

export async function readProgressLogs(out: string, students: readonly string[]): Promise<StudentLog[]> {
  const logs: StudentLog[] = [];
  for (const student of students) {
    try {
      logs.push({ student, text: await readFile(progressLogPath(out, student), 'utf8') });
    } catch {
      // no log: the student switched it off, or did not submit one
    }
  }
  return logs;
}

/** Property names of every exercise's tests (public and hidden), for labels on the dashboard. */
export function kitTestNames(): Record<string, string> {
  const names: Record<string, string> = {};
  for (const id of listExercises()) {
    Object.assign(names, testNames(id, 'hidden'), testNames(id, 'public'));
  }
  return names;
}

/** The dashboard's evidence for these students, or undefined when none of them sent a log. */
export async function classProgress(out: string, students: readonly string[]): Promise<Record<string, ExerciseEvidence> | undefined> {
  const logs = await readProgressLogs(out, students);
  if (logs.length === 0) return undefined;
  const evidence = summariseProgress(logs, { names: kitTestNames(), exercises: listExercises() });
  return Object.keys(evidence).length > 0 ? evidence : undefined;
}

/** After a merge of shards: bring each student's log into the merged folder. */
export async function copyProgressLogs(dirs: readonly string[], out: string, students: readonly string[]): Promise<void> {
  for (const student of students) {
    for (const dir of dirs) {
      const from = progressLogPath(dir, student);
      try {
        await mkdir(studentFolder(out, student), { recursive: true });
        await copyFile(from, progressLogPath(out, student));
        break;
      } catch {
        // not in this shard
      }
    }
  }
}
