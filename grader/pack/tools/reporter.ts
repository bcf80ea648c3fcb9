// The student pack's own vitest reporter, next to vitest's default one:
//  - before any test runs: the type check of the student's files for the exercises being
//    tested (file:line:column, syntax errors named as such), and any file that is missing;
//  - after the run: one line per exercise (public tests passed, public points), and, when the
//    student has not switched it off, one line per exercise in progress.jsonl (test outcomes
//    only: see grader/progress-log/log.ts and the pack's README).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter, TestModule, TestSpecification, Vitest } from 'vitest/node';
import { exerciseDir, loadManifest, type Manifest } from '../../../kernels/harness/manifest.ts';
import type { PropertyOutcome } from '../../../kernels/harness/property.ts';
import { HAZARDS, appendRun, hazardsOf, type Hazard, type ProgressLine } from '../../progress-log/log.ts';
import { sha256 } from '../../files.ts';
import { PROGRESS_LOG, exerciseOfTestFile, packRoot, progressLogEnabled, readPackInfo, studentRoot } from './local.ts';
import { isOwnTestFile } from '../info.ts';
import { formatDiagnostics, typecheckFiles } from '../../typecheck.ts';

export interface PackReporterOptions {
  /** Append to progress.jsonl (when the student allows it). Default true. */
  readonly log?: boolean;
  /** Print the per-exercise summary after the run. Default true. */
  readonly summary?: boolean;
}

interface ExerciseRun {
  hazards: Set<Hazard>;
  passed: number;
  failed: number;
  skipped: number;
  failedTests: string[];
  points: number;
  maxPoints: number;
}

export default class PackReporter implements Reporter {
  private vitest: Vitest | undefined;
  private noticeShown = false;

  constructor(private readonly options: PackReporterOptions = {}) {}

  private print(text: string): void {
    if (this.vitest) this.vitest.logger.log(text);
    else console.log(text);
  }

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunStart(specifications: ReadonlyArray<TestSpecification>): void {
    const ids = [...new Set(specifications.map((s) => exerciseOfTestFile(s.moduleId)).filter((id): id is string => id !== undefined))];
    if (ids.length === 0) return;
    const root = studentRoot();
    const present: string[] = [];
    const lines: string[] = [];
    for (const id of ids) {
      let m: Manifest;
      try {
        m = loadManifest(exerciseDir(id));
      } catch {
        continue; // the test file reports a broken manifest itself
      }
      for (const f of m.files) {
        if (existsSync(join(root, f))) present.push(f);
        else lines.push(`  ${f}: not found. The ${id} tests need this file (your code goes there).`);
      }
    }
    let diagnostics: string[] = [];
    let syntax = false;
    try {
      const found = typecheckFiles(root, [...new Set(present)]);
      syntax = found.some((d) => d.kind === 'syntax');
      diagnostics = formatDiagnostics(found);
    } catch (err) {
      lines.push(`  (the type check itself failed: ${err instanceof Error ? err.message : String(err)})`);
    }
    if (diagnostics.length === 0 && lines.length === 0) {
      if (present.length > 0) this.print(`Type check: no errors in ${present.join(', ')}\n`);
      return;
    }
    const out = ['Type check of your code (the grader makes the same check):'];
    out.push(
      ...diagnostics.map((d) =>
        d
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n'),
      ),
      ...lines,
    );
    if (syntax) out.push('Your code does not parse: every test of its exercise fails until the syntax error is fixed.');
    else if (diagnostics.length > 0)
      out.push('The tests still run. Type errors cost no marks by themselves, but the grader lists them in your report, and they are usually bugs.');
    this.print(`${out.join('\n')}\n`);
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, _errors: unknown, reason?: 'passed' | 'failed' | 'interrupted'): void {
    const runs = new Map<string, ExerciseRun>();
    const own = { passed: 0, failed: 0 };
    const info = readPackInfo();
    for (const mod of testModules) {
      const id = exerciseOfTestFile(mod.moduleId);
      if (!id) continue;
      if (isOwnTestFile(mod.moduleId, info)) {
        // The student's own tests: reported on their own line, never as points or in the log.
        for (const test of mod.children.allTests()) {
          const state = test.result().state;
          if (state === 'passed') own.passed++;
          else if (state === 'failed') own.failed++;
        }
        continue;
      }
      let manifest: Manifest | undefined;
      try {
        manifest = loadManifest(exerciseDir(id));
      } catch {
        manifest = undefined;
      }
      const pointsOf = (test: string) => manifest?.groups.find((g) => test in g.tests)?.tests[test] ?? 0;
      let run = runs.get(id);
      if (!run) runs.set(id, (run = { hazards: new Set(), passed: 0, failed: 0, skipped: 0, failedTests: [], points: 0, maxPoints: 0 }));
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        const outcome = test.meta().mp as PropertyOutcome | undefined;
        const testId = outcome?.test ?? test.name;
        if (state === 'passed') {
          run.passed++;
          run.points += pointsOf(testId);
          run.maxPoints += pointsOf(testId);
        } else if (state === 'failed') {
          run.failed++;
          const report =
            outcome?.failure?.observed ??
            test
              .result()
              .errors?.map((e) => e.message)
              .join('\n') ??
            '';
          for (const h of hazardsOf(report)) run.hazards.add(h);
          run.failedTests.push(testId);
          run.maxPoints += pointsOf(testId);
        } else {
          run.skipped++;
        }
      }
    }
    if (this.options.summary !== false && own.passed + own.failed > 0) {
      this.print(`\nYour own tests (never graded, never submitted): ${own.passed} of ${own.passed + own.failed} passed`);
    }
    if (runs.size === 0) return;
    if (this.options.summary !== false) {
      const width = Math.max(...[...runs.keys()].map((k) => k.length));
      const lines = ['Public tests (the grader runs them too, with hidden tests besides):'];
      for (const [id, r] of runs) {
        const total = r.passed + r.failed;
        const ex = info?.exercises.find((e) => e.id === id);
        const pts =
          total === 0
            ? ''
            : `   ${fmt(r.points)} of ${fmt(r.maxPoints)} points${ex && r.skipped === 0 ? ` (of ${fmt(ex.points.total)} for the exercise)` : ''}`;
        const skipped = r.skipped > 0 ? `, ${r.skipped} not run (filtered)` : '';
        lines.push(`  ${id.padEnd(width)}   ${r.passed} of ${total} passed${skipped}${pts}`);
      }
      const later = [...runs.keys()].flatMap((id) => {
        const only = info?.exercises.find((e) => e.id === id)?.gradedOnly ?? [];
        if (only.length === 0) return [];
        const tests = only.reduce((a, g) => a + g.tests, 0);
        return [`  ${id.padEnd(width)}   ${tests} hidden test${tests === 1 ? '' : 's'}: ${only.map((g) => g.group).join(' · ')}`];
      });
      if (later.length > 0) lines.push('Also checked when graded (not run here, so passing above is not yet the mark):', ...later);
      lines.push('A failure above shows its seed and a replay command. `npm run check` writes the report the grader would show for these tests.');
      this.print(`\n${lines.join('\n')}`);
    }
    if (this.options.log !== false && reason !== 'interrupted') this.record(runs);
  }

  private record(runs: Map<string, ExerciseRun>): void {
    if (!progressLogEnabled()) return;
    const file = join(packRoot, PROGRESS_LOG);
    const existed = existsSync(file);
    const before = existed ? readFileSync(file, 'utf8') : '';
    let text = before;
    const at = new Date().toISOString();
    let full = false;
    for (const [exercise, r] of runs) {
      if (r.passed + r.failed === 0) continue; // nothing ran (everything filtered out)
      const line: ProgressLine = {
        v: 1,
        at,
        exercise,
        passed: r.passed,
        failed: r.failed,
        skipped: r.skipped,
        failedTests: r.failedTests.slice(0, 200),
        firstFailed: r.failedTests[0] ?? null,
        runs: 1,
      };
      const edited = editedSinceStarter(exercise, readPackInfo());
      if (edited !== undefined) line.edited = edited;
      const hazards = HAZARDS.filter((h) => r.hazards.has(h));
      if (hazards.length > 0) line.hazards = hazards;
      const next = appendRun(text, line);
      if (next === undefined) full = true;
      else text = next;
    }
    if (text === before) {
      if (full) this.print('progress.jsonl is full: later runs are no longer recorded.');
      return;
    }
    try {
      writeFileSync(file, text);
    } catch {
      return; // a read-only pack: nothing to record
    }
    if (!existed && !this.noticeShown) {
      this.noticeShown = true;
      this.print(
        'Recorded the outcome of this run in progress.jsonl, for the course\'s study of how easy message passing is (README: "What is recorded"). To switch it off, set "progressLog": false in settings.json.',
      );
    }
    if (full) this.print('progress.jsonl is full: later runs are no longer recorded.');
  }
}

/**
 * Whether the student's files of an exercise differ from the starter (sha256 against the
 * pack's record); undefined when the pack has no record (a kit checkout, an older pack).
 */
export function editedSinceStarter(exercise: string, info: ReturnType<typeof readPackInfo>, root = studentRoot()): boolean | undefined {
  const starter = info?.exercises.find((e) => e.id === exercise)?.starter;
  if (!starter || Object.keys(starter).length === 0) return undefined;
  for (const [file, hash] of Object.entries(starter)) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    if (sha256(readFileSync(path)) !== hash) return true;
  }
  return false;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
